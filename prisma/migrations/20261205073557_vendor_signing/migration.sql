-- CreateTable
CREATE TABLE "vendor_signing_service" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "base_url" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "api_key_sealed" TEXT NOT NULL,
    "encryption_cert_pem" TEXT,
    "encryption_key_sealed" TEXT,
    "submitted_csr_pem" TEXT,
    "submitted_at" TIMESTAMPTZ(3),
    "submitted_by_label" TEXT,
    "signed_request" TEXT,
    "signed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "vendor_signing_service_pkey" PRIMARY KEY ("id")
);
