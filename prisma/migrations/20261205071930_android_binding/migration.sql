-- AlterTable
ALTER TABLE "android_enterprises" ADD COLUMN     "project_id" TEXT;

-- CreateTable
CREATE TABLE "android_signups" (
    "id" UUID NOT NULL,
    "state_hash" TEXT NOT NULL,
    "signup_url_name" TEXT NOT NULL,
    "project_id" TEXT NOT NULL,
    "client_email" TEXT NOT NULL,
    "private_key_id" TEXT,
    "private_key_sealed" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "result" TEXT,

    CONSTRAINT "android_signups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "android_policies" (
    "name" TEXT NOT NULL,
    "group_id" UUID,
    "settings" JSONB NOT NULL,
    "pushed_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "android_policies_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "android_signups_state_hash_key" ON "android_signups"("state_hash");

-- CreateIndex
CREATE INDEX "android_signups_created_by_id_created_at_idx" ON "android_signups"("created_by_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "android_policies_group_id_key" ON "android_policies"("group_id");

-- AddForeignKey
ALTER TABLE "android_policies" ADD CONSTRAINT "android_policies_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "user_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;
