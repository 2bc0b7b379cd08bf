import { prisma } from "@/lib/db/client";
import { fleetCounts, type FleetCounts } from "@/lib/devices/counts";
import { DeviceStatus, Platform } from "@/lib/db/generated/enums";
import { cachedFor } from "@/lib/cache/ttl";
import { daysLeft } from "@/lib/expiry";
import { expiryRows } from "@/lib/expiry/rows";
import { keysOf } from "@/lib/i18n";

// The dashboard's charts as plain numbers with the device-list link each bar opens. One
// statement per chart, each bounded by an index or a time window (100,000 devices, 1,000,000
// commands); the status and platform charts reuse the fleet counts the cards already read
// (exact). The trends (OS versions, weeks, failures) are kept CHART_CACHE_MS per instance.
// MAMORI_CHART_CACHE_MS=0 (the e2e server) reads them live.
const CHART_CACHE_MS = Number(process.env.MAMORI_CHART_CACHE_MS ?? 60_000);

export interface Bar {
  /** A catalog key with its params, or a literal (an OS version, a command type). */
  label: { key: string } | { text: string };
  value: number;
  /** The device list filtered to what the bar counts; null where no list applies. */
  href: string | null;
}

export interface DashboardCharts {
  status: Bar[];
  platform: Bar[];
  os: Bar[];
  enrollments: Bar[];
  failures: Bar[];
}

export const OS_BARS = 8;
export const WEEKS = 12;
export const FAILURE_DAYS = 30;
const DAY = 86_400_000;
const list = (q: Record<string, string>) => `/admin/devices?${new URLSearchParams(q)}`;
/** Command types with a label in the catalog (MDM and Android); any other shows as stored. */
const COMMAND_LABELS = new Set(keysOf().filter((k) => k.startsWith("deviceDetail.requestTypes.")));
const commandLabel = (type: string): Bar["label"] =>
  COMMAND_LABELS.has(`deviceDetail.requestTypes.${type}`) ? { key: `deviceDetail.requestTypes.${type}` } : { text: type };

/**
 * The dashboard's device numbers: a pass over 100,000 devices, shared for a quarter of the
 * chart time (admins reloading the dashboard see a count at most 15 s old; the license check
 * and the banner count live).
 */
export function dashboardFleetCounts(): Promise<FleetCounts> {
  return CHART_CACHE_MS ? cachedFor("dashboard-fleet", CHART_CACHE_MS / 4, fleetCounts) : fleetCounts();
}

/** Monday 00:00 UTC of the week holding `d`. */
export function weekStart(d: Date): Date {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  x.setUTCDate(x.getUTCDate() - ((x.getUTCDay() + 6) % 7));
  return x;
}

/** Devices enrolled per week (Monday 00:00 UTC) since `from`: a range of the enrolled_at index. */
export function enrollmentWeeks(from: Date) {
  return prisma().$queryRaw<{ week: Date; n: number }[]>`
    SELECT date_trunc('week', enrolled_at AT TIME ZONE 'UTC') AS week, count(*)::int AS n
    FROM devices WHERE enrolled_at >= ${from} GROUP BY 1`;
}

/** `at`: read live as of then (tests); without it the page shares a reading up to a minute old. */
export async function dashboardCharts(fleet: FleetCounts, at?: Date): Promise<DashboardCharts> {
  const now = at ?? new Date();
  const firstWeek = new Date(weekStart(now).getTime() - (WEEKS - 1) * 7 * DAY);
  const load = () => Promise.all([
    prisma().device.groupBy({ by: ["osVersion", "platform"], _count: true, where: { status: { notIn: ["RETIRED", "WIPED"] }, osVersion: { not: null } } }),
    enrollmentWeeks(firstWeek),
    prisma().command.groupBy({ by: ["requestType"], _count: true, where: { status: "ERROR", createdAt: { gte: new Date(now.getTime() - FAILURE_DAYS * DAY) } } }),
  ]);
  const [os, weeks, failures] = at || !CHART_CACHE_MS ? await load() : await cachedFor("dashboard-charts", CHART_CACHE_MS, load);

  const versions = new Map<string, number>();
  for (const r of os) versions.set(r.osVersion!, (versions.get(r.osVersion!) ?? 0) + r._count);
  // Equal counts: the newer version first, so the oldest fall into "other".
  const sorted = [...versions].sort((a, b) => b[1] - a[1] || b[0].localeCompare(a[0], "en", { numeric: true }));
  const osBars: Bar[] = sorted.slice(0, OS_BARS).map(([v, n]) => ({ label: { text: v }, value: n, href: list({ os: v, managed: "1" }) }));
  const rest = sorted.slice(OS_BARS).reduce((s, [, n]) => s + n, 0);
  if (rest) osBars.push({ label: { key: "dashboard.charts.otherVersions" }, value: rest, href: null });

  const byWeek = new Map(weeks.map((w) => [new Date(w.week).toISOString().slice(0, 10), w.n]));
  const enrollments: Bar[] = Array.from({ length: WEEKS }, (_, i) => {
    const start = new Date(firstWeek.getTime() + i * 7 * DAY).toISOString().slice(0, 10);
    return { label: { text: start }, value: byWeek.get(start) ?? 0, href: null };
  });

  return {
    status: Object.values(DeviceStatus).map((s) => ({ label: { key: `devices.statuses.${s}` }, value: fleet.byStatus[s], href: list({ status: s }) })),
    platform: Object.values(Platform).map((p) => ({ label: { key: `devices.platforms.${p}` }, value: fleet.byPlatform[p], href: list({ platform: p, managed: "1" }) })),
    os: osBars,
    enrollments,
    failures: failures
      .sort((a, b) => b._count - a._count || a.requestType.localeCompare(b.requestType))
      .map((f) => ({ label: commandLabel(f.requestType), value: f._count, href: list({ failed: f.requestType }) })),
  };
}

/**
 * Days left on what expires (the active push certificate, the ADE token, the device CA), the
 * same rows the expiry cards read (one read per request); 0 once expired. Each bar opens the page that renews it.
 */
export async function certificateDays(now = new Date()): Promise<Bar[]> {
  const { push, ade, ca } = await expiryRows();
  const rows: [string, Date | null | undefined, string | null][] = [
    ["push", push?.notAfter, "/admin/certificates/push"],
    ["ade", ade?.accessTokenExpiry, "/admin/certificates/ade"],
    ["ca", ca?.notAfter, null],
  ];
  return rows.flatMap(([k, d, href]) => (d ? [{ label: { key: `certificates.${k}` }, value: Math.max(0, daysLeft(d, now)), href }] : []));
}
