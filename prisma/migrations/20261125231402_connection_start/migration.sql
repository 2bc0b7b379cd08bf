-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "connection_started_at" TIMESTAMPTZ(3);
