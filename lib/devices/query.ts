import { z } from "zod";
import { prisma } from "@/lib/db/client";
import { cachedFor } from "@/lib/cache/ttl";
import { withoutNul } from "@/lib/db/text";
import { DeviceStatus, Platform } from "@/lib/db/generated/enums";
import { UserError } from "@/lib/errors";
import type { Prisma } from "@/lib/db/generated/client";
import { foldSearch } from "./fold";

// The device list's one filter: the admin page, the CSV export and the bulk actions all turn
// the same URL query into the same Prisma `where` here. Every query it builds is backed by an
// index (prisma/schema.prisma, migration device_indexes); tests/integration/devices-scale.test.ts
// checks the plans on 100,000 devices.

export const DEVICE_SORTS = ["name", "status", "os", "lastCheckIn"] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];
export const PAGE_SIZES = [25, 50, 100, 200] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
export const PAGE_SIZE: PageSize = 50;
/** Matching owners above this many: the search uses a relation filter instead of their ids. */
export const SEARCH_OWNER_LIMIT = 500;
const DAY = 86_400_000;
export const FAILED_DAYS = 30;
const NOT_MANAGED: DeviceStatus[] = ["RETIRED", "WIPED"];

const FIELDS = {
  q: z.string().trim().max(100),
  platform: z.enum(Platform),
  status: z.enum(DeviceStatus),
  os: z.string().trim().max(40),
  /** An owner's email address, or "none" for devices without an owner. */
  owner: z.union([z.literal("none"), z.email().max(320).transform((e) => e.toLowerCase())]),
  /** Last check-in older (or never) / newer than `days` days. */
  checkIn: z.enum(["older", "newer"]),
  days: z.coerce.number().int().min(1).max(3650),
  supervised: z.enum(["yes", "no"]),
  /** "1": only devices enrolled under another push topic than the active certificate's. */
  mismatch: z.literal("1"),
  /** A command type: devices on which one failed in the last FAILED_DAYS days (the dashboard's chart links here). */
  failed: z.string().trim().regex(/^[A-Za-z][A-Za-z._]{0,63}$/),
  /** "1": only devices under management (not retired or wiped), as the dashboard's platform and OS charts count them. */
  managed: z.literal("1"),
  sort: z.enum(DEVICE_SORTS),
  dir: z.enum(["asc", "desc"]),
  page: z.coerce.number().int().min(1).max(100_000),
  size: z.enum(PAGE_SIZES.map(String) as [string, ...string[]]).transform((v) => Number(v) as PageSize),
} as const;
type Fields = typeof FIELDS;
type Key = keyof Fields;
const KEYS = Object.keys(FIELDS) as Key[];

export interface DeviceFilter {
  q?: string;
  platform?: Platform;
  status?: DeviceStatus;
  os?: string;
  owner?: string;
  checkIn?: "older" | "newer";
  days?: number;
  supervised?: "yes" | "no";
  mismatch?: "1";
  failed?: string;
  managed?: "1";
  sort: DeviceSort;
  dir: "asc" | "desc";
  page: number;
  size: PageSize;
}

export const DEFAULT_SORT: Pick<DeviceFilter, "sort" | "dir"> = { sort: "lastCheckIn", dir: "desc" };

export type RawQuery = URLSearchParams | Record<string, string | string[] | undefined>;

function valueOf(raw: RawQuery, key: string): string | undefined {
  const v = raw instanceof URLSearchParams ? (raw.get(key) ?? undefined) : raw[key];
  const first = Array.isArray(v) ? v[0] : v;
  const s = first === undefined ? undefined : withoutNul(first);
  return s === undefined || s.trim() === "" ? undefined : s;
}

/**
 * The filter in a URL query. Lenient (the page: a stale or hand-edited link shows the list
 * without the bad part) drops invalid values; strict (export, bulk actions: a dropped filter
 * would widen the set acted on) refuses them.
 */
export function parseDeviceFilter(raw: RawQuery, mode: "lenient" | "strict" = "lenient"): DeviceFilter {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const v = valueOf(raw, key);
    if (v === undefined) continue;
    const r = FIELDS[key].safeParse(v);
    if (r.success) out[key] = r.data;
    else if (mode === "strict") throw new UserError("device.filterInvalid", { field: key });
  }
  const f = { ...DEFAULT_SORT, page: 1, size: PAGE_SIZE, ...out } as DeviceFilter;
  if (!f.q) delete f.q;
  if (!f.os) delete f.os;
  // A check-in bound needs both halves.
  if (!f.checkIn || !f.days) {
    delete f.checkIn;
    delete f.days;
  }
  return f;
}

/** The filter as a canonical URL query (defaults left out), for links, the export and bulk forms. */
export function filterQuery(f: DeviceFilter, opts: { page?: boolean; sort?: boolean; size?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of KEYS) {
    const v = f[key];
    if (v === undefined) continue;
    if ((key === "sort" || key === "dir") && (opts.sort === false || (f.sort === DEFAULT_SORT.sort && f.dir === DEFAULT_SORT.dir))) continue;
    if (key === "page" && (opts.page === false || v === 1)) continue;
    if (key === "size" && (opts.size === false || v === PAGE_SIZE)) continue;
    out[key] = String(v);
  }
  return out;
}

/** What the query needs from the database besides the filter; see loadQueryContext. */
export interface QueryContext {
  now: Date;
  /** Topic of the ACTIVE push certificate, null without one. */
  activeTopic: string | null;
  /** Ids of users whose name or email contains the (folded) search; null: too many, filter by relation. */
  searchOwnerIds: string[] | null;
  /** The user the owner filter names; null when no user has that email. */
  ownerId: string | null;
}

/** Case-insensitive substring match; Prisma passes % and _ through as LIKE wildcards, so escape them. */
const insensitive = (q: string) => ({ contains: q.replace(/[\\%_]/g, "\\$&"), mode: "insensitive" as const });
const NOTHING: Prisma.DeviceWhereInput = { id: { in: [] } };

/** Enrolled under another topic than the active certificate's: the same rule as countTopicMismatches. */
export function isTopicMismatch(d: { topic: string | null; status: DeviceStatus }, activeTopic: string | null): boolean {
  return !!activeTopic && !!d.topic && d.topic !== activeTopic && !NOT_MANAGED.includes(d.status);
}

/**
 * The Prisma `where` for a filter: pure, so the page, export, bulk actions and the plan tests
 * share it. Each condition is written so PostgreSQL can answer it from an index.
 */
export function deviceWhere(f: DeviceFilter, ctx: QueryContext): Prisma.DeviceWhereInput {
  const and: Prisma.DeviceWhereInput[] = [];
  if (f.q) {
    // One folded column (name, serial, phone) with a trigram GIN index; owners are matched
    // first on their own folded column so the OR stays on devices: a BitmapOr of index scans.
    const q = foldSearch(f.q);
    and.push({
      OR: [
        { searchText: insensitive(q) },
        ...(ctx.searchOwnerIds === null
          ? [{ owner: { searchText: insensitive(q) } }]
          : ctx.searchOwnerIds.length ? [{ ownerId: { in: ctx.searchOwnerIds } }] : []),
      ],
    });
  }
  if (f.platform) and.push({ platform: f.platform });
  if (f.status) and.push({ status: f.status });
  if (f.os) and.push({ osVersion: f.os });
  if (f.owner === "none") and.push({ ownerId: null });
  else if (f.owner) and.push(ctx.ownerId ? { ownerId: ctx.ownerId } : NOTHING);
  if (f.checkIn && f.days) {
    const cutoff = new Date(ctx.now.getTime() - f.days * DAY);
    // "Never" counts as the oldest check-in, as in the sort.
    and.push(f.checkIn === "older" ? { OR: [{ lastCheckInAt: { lt: cutoff } }, { lastCheckInAt: null }] } : { lastCheckInAt: { gte: cutoff } });
  }
  if (f.supervised === "yes") and.push({ supervised: true });
  if (f.supervised === "no") and.push({ OR: [{ supervised: false }, { supervised: null }] });
  if (f.mismatch) {
    // topic <> X cannot use an index; topic < X OR topic > X is the same set and can.
    and.push(ctx.activeTopic
      ? { OR: [{ topic: { lt: ctx.activeTopic } }, { topic: { gt: ctx.activeTopic } }], status: { notIn: NOT_MANAGED } }
      : NOTHING);
  }
  if (f.managed) and.push({ status: { notIn: NOT_MANAGED } });
  if (f.failed) and.push({ commands: { some: { status: "ERROR", requestType: f.failed, createdAt: { gte: new Date(ctx.now.getTime() - FAILED_DAYS * DAY) } } } });
  return and.length ? { AND: and } : {};
}

/**
 * The order for a filter, id breaking ties in the same direction so each sort is one index read
 * forwards or backwards. A missing last check-in ("never") sorts as the oldest.
 */
export function deviceOrderBy(f: Pick<DeviceFilter, "sort" | "dir">): Prisma.DeviceOrderByWithRelationInput[] {
  const dir = f.dir;
  switch (f.sort) {
    case "name": return [{ name: dir }, { id: dir }];
    case "status": return [{ status: dir }, { id: dir }];
    case "os": return [{ osVersion: dir }, { id: dir }];
    case "lastCheckIn": return [{ lastCheckInAt: { sort: dir, nulls: dir === "asc" ? "first" : "last" } }, { id: dir }];
  }
}

/** Reads what deviceWhere needs: the active topic, the owners a search matches, the named owner. */
export async function loadQueryContext(f: DeviceFilter, now = new Date()): Promise<QueryContext> {
  const [active, owners, owner] = await Promise.all([
    prisma().pushCertificate.findFirst({ where: { status: "ACTIVE" }, select: { topic: true } }),
    f.q
      ? prisma().user.findMany({ where: { searchText: insensitive(foldSearch(f.q)) }, select: { id: true }, take: SEARCH_OWNER_LIMIT + 1 })
      : Promise.resolve([]),
    f.owner && f.owner !== "none" ? prisma().user.findUnique({ where: { email: f.owner }, select: { id: true } }) : Promise.resolve(null),
  ]);
  return {
    now,
    activeTopic: active?.topic ?? null,
    searchOwnerIds: owners.length > SEARCH_OWNER_LIMIT ? null : owners.map((o) => o.id),
    ownerId: owner?.id ?? null,
  };
}

/** Columns the list shows: never the inventory or secrets. */
export const LIST_SELECT = {
  id: true, name: true, platform: true, status: true, osVersion: true, serialNumber: true, lastCheckInAt: true, topic: true,
  modelName: true, productName: true, model: true,
  owner: { select: { displayName: true, email: true } },
} satisfies Prisma.DeviceSelect;

/** One page of the list and the number of devices matching; the page is clamped to the last one. */
/**
 * A count of at least LARGE_COUNT devices is kept LARGE_COUNT_MS per instance: counting 100,000
 * rows costs the database 8 ms a view, and nobody reads "100,214 devices" to the unit.
 * Smaller counts are exact on every view.
 */
const LARGE_COUNT = 10_000;
/** MAMORI_COUNT_CACHE_MS=0: every count live (the plan tests read what each view sends). */
const largeCountMs = () => Number(process.env.MAMORI_COUNT_CACHE_MS ?? 15_000);

function countDevices(where: Prisma.DeviceWhereInput): Promise<number> {
  const count = () => prisma().device.count({ where });
  const ms = largeCountMs();
  return ms ? cachedFor(`devices-count:${JSON.stringify(where)}`, ms, count, Date.now(), (n) => n >= LARGE_COUNT) : count();
}

export async function listDevices(f: DeviceFilter, ctx: QueryContext) {
  const where = deviceWhere(f, ctx);
  const total = await countDevices(where);
  const size = f.size ?? PAGE_SIZE;
  const pages = Math.max(1, Math.ceil(total / size));
  const page = Math.min(f.page, pages);
  const devices = total
    ? await prisma().device.findMany({ where, orderBy: deviceOrderBy(f), take: size, skip: (page - 1) * size, select: LIST_SELECT })
    : [];
  return { devices, total, page, pages };
}

/**
 * The OS versions present, in order: a loose index scan (one index probe per distinct version)
 * instead of DISTINCT over every row.
 */
export async function osVersions(limit = 300): Promise<string[]> {
  const rows = await prisma().$queryRaw<{ v: string }[]>`
    WITH RECURSIVE versions(v, n) AS (
      SELECT min(os_version), 1 FROM devices
      UNION ALL
      SELECT (SELECT min(os_version) FROM devices WHERE os_version > versions.v), n + 1 FROM versions WHERE v IS NOT NULL AND n < ${limit}
    )
    SELECT v FROM versions WHERE v IS NOT NULL`;
  return rows.map((r) => r.v);
}

/** The next batch after `afterId` in id order: keyset paging for the export, whatever the table size. */
export function deviceBatch<S extends Prisma.DeviceSelect>(where: Prisma.DeviceWhereInput, afterId: string | null, take: number, select: S) {
  return prisma().device.findMany({
    where: afterId ? { AND: [where, { id: { gt: afterId } }] } : where,
    orderBy: { id: "asc" },
    take,
    select,
  });
}
