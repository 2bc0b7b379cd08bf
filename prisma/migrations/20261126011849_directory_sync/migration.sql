-- AlterTable
ALTER TABLE "users" ADD COLUMN     "directory_missing_at" TIMESTAMPTZ(3);
