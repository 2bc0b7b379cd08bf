-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "amapi_missing_at" TIMESTAMPTZ(3);
