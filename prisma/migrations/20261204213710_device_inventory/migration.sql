-- Inventory answers move out of the devices row (see schema.prisma: DeviceInventory).
CREATE TABLE "device_inventory" (
    "device_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "device_inventory_pkey" PRIMARY KEY ("device_id","kind")
);

ALTER TABLE "device_inventory" ADD CONSTRAINT "device_inventory_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Keep what devices already reported.
INSERT INTO "device_inventory" ("device_id", "kind", "data", "updated_at")
SELECT d."id", kv.key, kv.value, COALESCE(d."last_inventory_at", d."updated_at")
FROM "devices" d, jsonb_each(d."inventory") kv
WHERE d."inventory" IS NOT NULL AND jsonb_typeof(d."inventory") = 'object';

-- Battery and free space change with every answer: they live in the inventory only.
ALTER TABLE "devices" DROP COLUMN "available_gb",
DROP COLUMN "battery_level",
DROP COLUMN "connection_started_at",
DROP COLUMN "inventory",
DROP COLUMN "last_inventory_at";
