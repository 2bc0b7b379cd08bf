import { prisma } from "@/lib/db/client";
import { DeviceStatus, Platform } from "@/lib/db/generated/enums";

// The dashboard's device numbers from one pass over devices (status × platform), instead of a
// count per card: at 100,000 devices each pass costs a read of the table.

export interface FleetCounts {
  byStatus: Record<DeviceStatus, number>;
  /** Managed devices (not retired or wiped) per platform. */
  byPlatform: Record<Platform, number>;
  /** Not retired or wiped: the devices holding a license. */
  managed: number;
  /** Active iPhones, iPads and Macs: the setup checklist's "first device". */
  activeApple: number;
}

const NOT_MANAGED: DeviceStatus[] = ["RETIRED", "WIPED"];

export async function fleetCounts(): Promise<FleetCounts> {
  const rows = await prisma().device.groupBy({ by: ["status", "platform"], _count: true });
  const byStatus = Object.fromEntries(Object.values(DeviceStatus).map((s) => [s, 0])) as Record<DeviceStatus, number>;
  const byPlatform = Object.fromEntries(Object.values(Platform).map((p) => [p, 0])) as Record<Platform, number>;
  let managed = 0;
  let activeApple = 0;
  for (const r of rows) {
    byStatus[r.status] += r._count;
    if (NOT_MANAGED.includes(r.status)) continue;
    byPlatform[r.platform] += r._count;
    managed += r._count;
    if (r.status === "ACTIVE" && r.platform !== "ANDROID") activeApple += r._count;
  }
  return { byStatus, byPlatform, managed, activeApple };
}
