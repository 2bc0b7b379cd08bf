-- AlterTable
ALTER TABLE "invitations" ADD COLUMN     "base_url" TEXT;
