-- CreateEnum
CREATE TYPE "PushCertificateStatus" AS ENUM ('ACTIVE', 'REPLACED', 'DELETED');

-- CreateEnum
CREATE TYPE "Platform" AS ENUM ('IOS', 'MACOS', 'ANDROID');

-- CreateEnum
CREATE TYPE "DeviceStatus" AS ENUM ('ENROLLING', 'ACTIVE', 'INACTIVE', 'WIPED', 'RETIRED');

-- CreateEnum
CREATE TYPE "MailStatus" AS ENUM ('OUTBOX', 'SENT', 'FAILED');

-- CreateTable
CREATE TABLE "push_certificate_requests" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "csr_pem" TEXT NOT NULL,
    "key_sealed" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by_label" TEXT NOT NULL,

    CONSTRAINT "push_certificate_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "push_certificates" (
    "id" UUID NOT NULL,
    "status" "PushCertificateStatus" NOT NULL,
    "topic" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "cert_pem" TEXT NOT NULL,
    "key_sealed" TEXT,
    "apple_id" TEXT NOT NULL,
    "notes" TEXT NOT NULL DEFAULT '',
    "uploaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uploaded_by_label" TEXT NOT NULL,
    "replaced_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),
    "deleted_by_label" TEXT,
    "unusable_at" TIMESTAMPTZ(3),
    "unusable_reason" TEXT,

    CONSTRAINT "push_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vendor_certificates" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "cert_pem" TEXT NOT NULL,
    "chain_pem" TEXT NOT NULL DEFAULT '',
    "key_sealed" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "uploaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "uploaded_by_label" TEXT NOT NULL,

    CONSTRAINT "vendor_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ade_tokens" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "key_sealed" TEXT NOT NULL,
    "cert_pem" TEXT NOT NULL,
    "key_created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "credentials_sealed" TEXT,
    "consumer_key" TEXT,
    "org_name" TEXT,
    "access_token_expiry" TIMESTAMPTZ(3),
    "uploaded_at" TIMESTAMPTZ(3),
    "uploaded_by_label" TEXT,

    CONSTRAINT "ade_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "devices" (
    "id" UUID NOT NULL,
    "udid" TEXT,
    "serial_number" TEXT,
    "name" TEXT,
    "model" TEXT,
    "os_version" TEXT,
    "platform" "Platform" NOT NULL,
    "status" "DeviceStatus" NOT NULL DEFAULT 'ENROLLING',
    "owner_id" UUID,
    "topic" TEXT,
    "push_token" TEXT,
    "push_magic" TEXT,
    "token_invalid_at" TIMESTAMPTZ(3),
    "last_push_at" TIMESTAMPTZ(3),
    "last_push_result" TEXT,
    "last_check_in_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "expiry_notices" (
    "kind" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "expiry_notices_pkey" PRIMARY KEY ("kind","subject_id","threshold")
);

-- CreateTable
CREATE TABLE "mail_messages" (
    "id" UUID NOT NULL,
    "to" TEXT[],
    "from" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "html" TEXT,
    "status" "MailStatus" NOT NULL,
    "provider_id" TEXT,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mail_messages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "push_certificates_fingerprint_key" ON "push_certificates"("fingerprint");

-- CreateIndex
CREATE INDEX "push_certificates_status_idx" ON "push_certificates"("status");

-- CreateIndex
CREATE UNIQUE INDEX "devices_udid_key" ON "devices"("udid");

-- CreateIndex
CREATE INDEX "devices_owner_id_idx" ON "devices"("owner_id");

-- CreateIndex
CREATE INDEX "devices_topic_idx" ON "devices"("topic");

-- CreateIndex
CREATE INDEX "devices_status_idx" ON "devices"("status");

-- CreateIndex
CREATE INDEX "mail_messages_created_at_idx" ON "mail_messages"("created_at");

-- AddForeignKey
ALTER TABLE "devices" ADD CONSTRAINT "devices_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
