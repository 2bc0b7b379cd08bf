-- CreateEnum
CREATE TYPE "CertificatePurpose" AS ENUM ('SIGNING', 'ENCRYPTION');

-- CreateEnum
CREATE TYPE "ConfigurationKind" AS ENUM ('USER_PROVIDED_CERTIFICATE');

-- CreateTable
CREATE TABLE "user_certificates" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "purpose" "CertificatePurpose" NOT NULL,
    "name" TEXT NOT NULL,
    "cert_pem" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "not_before" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "pkcs12_sealed" TEXT NOT NULL,
    "password_sealed" TEXT,
    "key_cleared_at" TIMESTAMPTZ(3),
    "uploaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_certificates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "configurations" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ConfigurationKind" NOT NULL,
    "purposes" "CertificatePurpose"[],
    "group_id" UUID,
    "created_by_label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "configurations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "profile_installations" (
    "id" UUID NOT NULL,
    "device_id" UUID NOT NULL,
    "configuration_id" UUID NOT NULL,
    "user_certificate_id" UUID,
    "identifier" TEXT NOT NULL,
    "command_id" UUID NOT NULL,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "profile_installations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "user_certificates_user_id_purpose_key" ON "user_certificates"("user_id", "purpose");

-- CreateIndex
CREATE UNIQUE INDEX "configurations_name_key" ON "configurations"("name");

-- CreateIndex
CREATE INDEX "profile_installations_configuration_id_idx" ON "profile_installations"("configuration_id");

-- CreateIndex
CREATE INDEX "profile_installations_user_certificate_id_idx" ON "profile_installations"("user_certificate_id");

-- CreateIndex
CREATE UNIQUE INDEX "profile_installations_device_id_identifier_key" ON "profile_installations"("device_id", "identifier");

-- AddForeignKey
ALTER TABLE "user_certificates" ADD CONSTRAINT "user_certificates_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "configurations" ADD CONSTRAINT "configurations_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "user_groups"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "profile_installations" ADD CONSTRAINT "profile_installations_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "profile_installations" ADD CONSTRAINT "profile_installations_configuration_id_fkey" FOREIGN KEY ("configuration_id") REFERENCES "configurations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "profile_installations" ADD CONSTRAINT "profile_installations_user_certificate_id_fkey" FOREIGN KEY ("user_certificate_id") REFERENCES "user_certificates"("id") ON DELETE SET NULL ON UPDATE CASCADE;
