-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "android_management_mode" TEXT,
ADD COLUMN     "android_ownership" TEXT;

-- AlterTable
ALTER TABLE "commands" ADD COLUMN     "amapi_operation" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "commands_amapi_operation_key" ON "commands"("amapi_operation");
