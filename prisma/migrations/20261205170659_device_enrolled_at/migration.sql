-- CreateIndex
CREATE INDEX "devices_enrolled_at_idx" ON "devices"("enrolled_at");
