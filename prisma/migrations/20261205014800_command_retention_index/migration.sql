-- CreateIndex
CREATE INDEX "commands_status_created_at_idx" ON "commands"("status", "created_at");
