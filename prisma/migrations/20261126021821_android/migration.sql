-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "amapi_name" TEXT;

-- CreateTable
CREATE TABLE "android_enterprises" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "enterprise_name" TEXT NOT NULL,
    "policy_name" TEXT NOT NULL,
    "client_email" TEXT NOT NULL,
    "private_key_id" TEXT,
    "private_key_sealed" TEXT NOT NULL,
    "access_token_sealed" TEXT,
    "access_token_expiry" TIMESTAMPTZ(3),
    "last_sync_at" TIMESTAMPTZ(3),
    "last_sync_result" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "android_enterprises_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "devices_amapi_name_key" ON "devices"("amapi_name");
