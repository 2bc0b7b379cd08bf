import { prisma } from "@/lib/db/client";
import { parseWallTime } from "@/lib/time";
import type { T } from "@/lib/i18n";
import type { AuditEvent, AuditResult, Prisma } from "@/lib/db/generated/client";

// The audit log's filters, shared by the page and the CSV export so both always show the
// same set: what the query string says → a Prisma where clause.

export const AUDIT_RESULTS = ["SUCCESS", "FAILURE", "DENIED"] as const satisfies readonly AuditResult[];
export const FILTER_KEYS = ["actor", "action", "targetType", "target", "result", "from", "to"] as const;

export interface AuditFilter {
  /** Part of the actor's label (email, "system", "anonymous"), any case. */
  actor: string;
  /** One action exactly ("auth.login"). */
  action: string;
  /** One target type exactly ("device", "setting"). */
  targetType: string;
  /** Part of the target's label or id, any case. */
  target: string;
  result: AuditResult | "";
  /** Wall times in the admin's zone: "2026-03-01" or "2026-03-01T09:30". */
  from: string;
  to: string;
}

type Query = Record<string, string | string[] | undefined> | URLSearchParams;

const LIMITS: Record<(typeof FILTER_KEYS)[number], number> = { actor: 320, action: 100, targetType: 50, target: 200, result: 10, from: 19, to: 19 };

function read(q: Query, key: string): string {
  const v = q instanceof URLSearchParams ? q.get(key) : q[key];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? "";
}

/** The filter in a query string; over-long values are cut, an unknown result ignored. */
export function parseAuditFilter(q: Query): AuditFilter {
  const f = Object.fromEntries(FILTER_KEYS.map((k) => [k, read(q, k).slice(0, LIMITS[k])])) as Record<(typeof FILTER_KEYS)[number], string>;
  return { ...f, result: (AUDIT_RESULTS as readonly string[]).includes(f.result) ? (f.result as AuditResult) : "" };
}

/** The filter's non-empty values, for links that keep it (pager, export). */
export function auditFilterParams(f: AuditFilter): Record<string, string> {
  return Object.fromEntries(FILTER_KEYS.filter((k) => f[k]).map((k) => [k, f[k]]));
}

/** Time bounds that are not a date or time the page can read, so it can say so. */
export function invalidTimeBounds(f: AuditFilter, timeZone: string): ("from" | "to")[] {
  return (["from", "to"] as const).filter((k) => f[k] && !parseWallTime(f[k], timeZone));
}

/**
 * The where clause. `from` is inclusive; `to` includes its whole day (a date) or minute (a
 * time), both read in `timeZone`. An unreadable bound is left out (the page reports it).
 */
export function auditWhere(f: AuditFilter, timeZone: string): Prisma.AuditEventWhereInput {
  const and: Prisma.AuditEventWhereInput[] = [];
  if (f.actor) and.push({ actorLabel: { contains: f.actor, mode: "insensitive" } });
  if (f.action) and.push({ action: f.action });
  if (f.targetType) and.push({ targetType: f.targetType });
  if (f.target) and.push({ OR: [{ targetLabel: { contains: f.target, mode: "insensitive" } }, { targetId: { contains: f.target, mode: "insensitive" } }] });
  if (f.result) and.push({ result: f.result });
  const from = f.from ? parseWallTime(f.from, timeZone) : null;
  const to = f.to ? parseWallTime(f.to, timeZone) : null;
  if (from) and.push({ at: { gte: from.at } });
  if (to) and.push({ at: { lt: to.end } });
  return and.length ? { AND: and } : {};
}

/** The localized name of an audit action ("auth.login" → key audit.actions.auth_login). */
export function auditActionLabel(t: T, action: string): string {
  const key = `audit.actions.${action.replaceAll(".", "_")}`;
  const text = t(key);
  return text === key ? action : text;
}

/** Matches counted at most: past it the page says "more than", so no view counts the whole log. */
export const AUDIT_COUNT_CAP = 10_000;

/** One page, newest first, and how many match (at most AUDIT_COUNT_CAP; `capped` when there are more). */
export async function findAuditEvents(where: Prisma.AuditEventWhereInput, page: number, pageSize: number) {
  const [events, counted] = await Promise.all([
    prisma().auditEvent.findMany({ where, orderBy: { id: "desc" }, take: pageSize, skip: (page - 1) * pageSize }),
    prisma().auditEvent.count({ where, take: AUDIT_COUNT_CAP + 1 }),
  ]);
  return { events, total: Math.min(counted, AUDIT_COUNT_CAP), capped: counted > AUDIT_COUNT_CAP };
}

/** Distinct values the filter offers, read from the start of an index: at most this many. */
const MAX_CHOICES = 500;

// A skip scan: each step jumps in the index to the next larger value, so the cost grows with
// the number of distinct values, not with the size of the log.
const distinctOf = (column: "action" | "target_type") => `
  WITH RECURSIVE v(x, n) AS (
    (SELECT ${column}, 1 FROM audit_events WHERE ${column} IS NOT NULL ORDER BY ${column} LIMIT 1)
    UNION ALL
    SELECT (SELECT ${column} FROM audit_events WHERE ${column} > v.x ORDER BY ${column} LIMIT 1), n + 1
    FROM v WHERE v.x IS NOT NULL AND n < ${MAX_CHOICES}
  ) SELECT x FROM v WHERE x IS NOT NULL`;

export const AUDIT_CHOICES_SQL = { actions: distinctOf("action"), targetTypes: distinctOf("target_type") };

/** What the filter selects can choose from: actions and target types that occur. */
export async function auditFilterChoices() {
  const [actions, targetTypes] = await Promise.all([
    prisma().$queryRawUnsafe<{ x: string }[]>(AUDIT_CHOICES_SQL.actions),
    prisma().$queryRawUnsafe<{ x: string }[]>(AUDIT_CHOICES_SQL.targetTypes),
  ]);
  return { actions: actions.map((a) => a.x), targetTypes: targetTypes.map((t) => t.x) };
}

/**
 * Every matching event up to `maxId`, newest first, in batches (keyset on id), so an export
 * of any size streams in constant memory and does not pick up events written meanwhile.
 */
export async function* auditEventBatches(where: Prisma.AuditEventWhereInput, maxId: bigint, batchSize = 1000): AsyncGenerator<AuditEvent[]> {
  let below = maxId + 1n;
  for (;;) {
    const batch = await prisma().auditEvent.findMany({ where: { AND: [where, { id: { lt: below } }] }, orderBy: { id: "desc" }, take: batchSize });
    if (batch.length) yield batch;
    if (batch.length < batchSize) return;
    below = batch.at(-1)!.id;
  }
}

/** The newest event's id (0 when the log is empty): where an export stops. */
export async function latestAuditId(): Promise<bigint> {
  const last = await prisma().auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } });
  return last?.id ?? 0n;
}
