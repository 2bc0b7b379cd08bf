import { prisma } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

// Where a lost Android device is: in lost mode the device reports its location as usage log
// events (BatchUsageLogEvents with a LostModeLocationEvent, sent as a USAGE_LOGS notification:
// https://developers.google.com/android/management/reference/rest/v1/BatchUsageLogEvents).
// Stored like an iPhone's DeviceLocation answer, so the admin page and the portal (where the
// privacy settings allow) show it the same way.

const num = (v: unknown, max: number) => (typeof v === "number" && Number.isFinite(v) && Math.abs(v) <= max ? v : null);

/** The newest location of a batch, or null when it has none. */
export function latestLostModeLocation(batch: unknown): { amapiName: string; location: { latitude: number; longitude: number; timestamp: string; batteryLevel?: number } } | null {
  if (!batch || typeof batch !== "object") return null;
  const b = batch as { device?: unknown; usageLogEvents?: unknown };
  if (typeof b.device !== "string" || !Array.isArray(b.usageLogEvents)) return null;
  let best: { latitude: number; longitude: number; timestamp: string; batteryLevel?: number } | null = null;
  for (const e of b.usageLogEvents as { eventTime?: unknown; lostModeLocationEvent?: { location?: { latitude?: unknown; longitude?: unknown }; batteryLevel?: unknown } }[]) {
    const l = e?.lostModeLocationEvent?.location;
    const latitude = num(l?.latitude, 90);
    const longitude = num(l?.longitude, 180);
    const at = typeof e?.eventTime === "string" && !Number.isNaN(Date.parse(e.eventTime)) ? new Date(e.eventTime).toISOString() : null;
    if (latitude === null || longitude === null || !at) continue;
    if (best && best.timestamp >= at) continue;
    const battery = num(e.lostModeLocationEvent?.batteryLevel, 100);
    best = { latitude, longitude, timestamp: at, ...(battery !== null && { batteryLevel: battery }) };
  }
  return best ? { amapiName: b.device, location: best } : null;
}

/** Stores the batch's newest lost-mode location on its device, unless a newer one is stored. Returns whether it did. */
export async function storeLostModeLocation(batch: unknown, now = new Date()): Promise<boolean> {
  const found = latestLostModeLocation(batch);
  if (!found) return false;
  const device = await prisma().device.findUnique({ where: { amapiName: found.amapiName }, select: { id: true, location: true } });
  if (!device) return false;
  const stored = device.location as { timestamp?: string } | null;
  if (stored?.timestamp && stored.timestamp >= found.location.timestamp) return false;
  await prisma().device.update({ where: { id: device.id }, data: { location: { ...found.location, receivedAt: now.toISOString() } as Prisma.InputJsonValue } });
  return true;
}
