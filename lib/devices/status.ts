import { prisma } from "@/lib/db/client";
import { getSetting } from "@/lib/settings";

const DAY = 86_400_000;

/** Active devices silent for the configured number of days become Inactive; returns how many. */
export async function markInactiveDevices(now: Date): Promise<number> {
  const { inactiveAfterDays } = await getSetting("devices");
  const before = new Date(now.getTime() - inactiveAfterDays * DAY);
  const { count } = await prisma().device.updateMany({ where: { status: "ACTIVE", lastCheckInAt: { lt: before } }, data: { status: "INACTIVE" } });
  return count;
}
