-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- DropIndex
DROP INDEX "devices_status_idx";

-- CreateIndex
CREATE INDEX "users_email_trgm_idx" ON "users" USING GIN ("email" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "users_display_name_trgm_idx" ON "users" USING GIN ("display_name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "devices_status_id_idx" ON "devices"("status", "id");

-- CreateIndex
CREATE INDEX "devices_name_id_idx" ON "devices"("name", "id");

-- CreateIndex
CREATE INDEX "devices_os_version_id_idx" ON "devices"("os_version", "id");

-- CreateIndex
CREATE INDEX "devices_platform_idx" ON "devices"("platform");

-- CreateIndex
CREATE INDEX "devices_supervised_idx" ON "devices"("supervised");

-- CreateIndex
CREATE INDEX "devices_name_trgm_idx" ON "devices" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "devices_serial_number_trgm_idx" ON "devices" USING GIN ("serial_number" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "devices_phone_number_trgm_idx" ON "devices" USING GIN ("phone_number" gin_trgm_ops);

-- CreateIndex (by hand: Prisma cannot declare NULLS FIRST). The device list sorts by last
-- check-in with "never" as the oldest: ASC NULLS FIRST read forwards, DESC NULLS LAST read
-- backwards, id breaking ties in the same direction.
CREATE INDEX "devices_last_check_in_nulls_first_idx" ON "devices"("last_check_in_at" ASC NULLS FIRST, "id" ASC);
