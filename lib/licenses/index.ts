import { prisma } from "@/lib/db/client";
import { UserError } from "@/lib/errors";
import { getSetting } from "@/lib/settings";

// Device licenses (seed 002: 機器ライセンス 使用数/契約数). Every device that is not retired or
// wiped holds one, enrolling ones included; the contracted number is the `licenses` setting
// (null: no limit).

/** From this share of the licenses in use, the dashboard warns (amber). */
export const WARNING_RATIO = 0.9;

/** ok; warning: 90% or more in use; full: all in use (or more, after the number was lowered). */
export type LicenseLevel = "unlimited" | "ok" | "warning" | "full";

export interface LicenseUsage {
  used: number;
  /** Contracted licenses; null when unlimited. */
  total: number | null;
  level: LicenseLevel;
}

export function licenseLevel(used: number, total: number | null): LicenseLevel {
  if (total === null) return "unlimited";
  if (used >= total) return "full";
  return used >= total * WARNING_RATIO ? "warning" : "ok";
}

/** `used`: the caller's own count when it has one (the dashboard's fleet counts), else counted here. */
export async function licenseUsage(used?: number): Promise<LicenseUsage> {
  const [n, { devices: total }] = await Promise.all([
    used ?? prisma().device.count({ where: { status: { notIn: ["RETIRED", "WIPED"] } } }),
    getSetting("licenses"),
  ]);
  return { used: n, total, level: licenseLevel(n, total) };
}

/**
 * Every license in use (what the banner on every admin page needs): nothing is counted without a
 * limit, and at most `total + 1` rows with one (enough to tell full from over), never the fleet.
 */
export async function licensesFull(): Promise<{ used: number; total: number } | null> {
  const { devices: total } = await getSetting("licenses");
  if (total === null) return null;
  const [row] = await prisma().$queryRaw<{ used: number }[]>`
    SELECT count(*)::int AS used FROM (SELECT 1 FROM devices WHERE status NOT IN ('RETIRED', 'WIPED') LIMIT ${total + 1}) s`;
  const used = row?.used ?? 0;
  if (used < total) return null;
  // Over the limit (the number was lowered): rare, and then the banner says how far over.
  return { used: used > total ? (await licenseUsage()).used : used, total };
}

/** Refuses enrolling `count` more devices when the contracted licenses do not cover them. */
export async function assertLicensesFor(count = 1): Promise<void> {
  const { used, total } = await licenseUsage();
  if (total === null) return;
  if (used >= total) throw new UserError("licenses.limitReached", { used, total });
  if (used + count > total) throw new UserError("licenses.notEnough", { count, remaining: total - used, total });
}
