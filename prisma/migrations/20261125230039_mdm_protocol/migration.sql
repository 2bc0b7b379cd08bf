-- CreateEnum
CREATE TYPE "CommandStatus" AS ENUM ('QUEUED', 'SENT', 'ACKNOWLEDGED', 'ERROR', 'NOT_NOW', 'EXPIRED', 'CANCELLED');

-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "available_gb" DOUBLE PRECISION,
ADD COLUMN     "awaiting_configuration" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "battery_level" DOUBLE PRECISION,
ADD COLUMN     "bootstrap_token_sealed" TEXT,
ADD COLUMN     "build_version" TEXT,
ADD COLUMN     "capacity_gb" DOUBLE PRECISION,
ADD COLUMN     "enrolled_at" TIMESTAMPTZ(3),
ADD COLUMN     "enrollment_id" UUID,
ADD COLUMN     "identity_fingerprint" TEXT,
ADD COLUMN     "identity_not_after" TIMESTAMPTZ(3),
ADD COLUMN     "imei" TEXT,
ADD COLUMN     "inventory" JSONB,
ADD COLUMN     "last_inventory_at" TIMESTAMPTZ(3),
ADD COLUMN     "location" JSONB,
ADD COLUMN     "lost_mode" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "meid" TEXT,
ADD COLUMN     "model_name" TEXT,
ADD COLUMN     "phone_number" TEXT,
ADD COLUMN     "product_name" TEXT,
ADD COLUMN     "supervised" BOOLEAN,
ADD COLUMN     "unlock_token_sealed" TEXT;

-- CreateTable
CREATE TABLE "device_users" (
    "id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "user_guid" TEXT NOT NULL,
    "short_name" TEXT,
    "long_name" TEXT,
    "push_token" TEXT,
    "push_magic" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "device_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "certificate_authorities" (
    "id" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "cert_pem" TEXT NOT NULL,
    "key_sealed" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "certificate_authorities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrollments" (
    "id" UUID NOT NULL,
    "user_id" UUID,
    "platform" "Platform",
    "profile_token_hash" TEXT NOT NULL,
    "profile_expires_at" TIMESTAMPTZ(3) NOT NULL,
    "profile_used_at" TIMESTAMPTZ(3),
    "challenge_hash" TEXT,
    "challenge_expires_at" TIMESTAMPTZ(3),
    "challenge_used_at" TIMESTAMPTZ(3),
    "profile_identifier" TEXT NOT NULL,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "enrollments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commands" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "device_id" UUID NOT NULL,
    "request_type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "sealed_body" TEXT,
    "status" "CommandStatus" NOT NULL DEFAULT 'QUEUED',
    "queued_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "responded_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "result" JSONB,
    "error_chain" JSONB,

    CONSTRAINT "commands_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "device_users_device_id_user_guid_key" ON "device_users"("device_id", "user_guid");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_authorities_purpose_key" ON "certificate_authorities"("purpose");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_authorities_fingerprint_key" ON "certificate_authorities"("fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "enrollments_profile_token_hash_key" ON "enrollments"("profile_token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "enrollments_challenge_hash_key" ON "enrollments"("challenge_hash");

-- CreateIndex
CREATE INDEX "enrollments_user_id_idx" ON "enrollments"("user_id");

-- CreateIndex
CREATE INDEX "commands_device_id_status_seq_idx" ON "commands"("device_id", "status", "seq");

-- CreateIndex
CREATE INDEX "commands_status_expires_at_idx" ON "commands"("status", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "devices_identity_fingerprint_key" ON "devices"("identity_fingerprint");

-- CreateIndex
CREATE INDEX "devices_serial_number_idx" ON "devices"("serial_number");

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_enrollment_id_fkey" FOREIGN KEY ("enrollment_id") REFERENCES "enrollments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "device_users" ADD CONSTRAINT "device_users_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commands" ADD CONSTRAINT "commands_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
