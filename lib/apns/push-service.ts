import { prisma } from "@/lib/db/client";
import { activeIdentity, markUnusable, type PushIdentityRecord } from "@/lib/push-certificates/service";
import { getApnsClient } from "./provider";
import type { PushResult } from "./client";
import { isUuid } from "@/lib/ids";

// Pushing devices so they check in: the database side of APNs. Targets are read in pages,
// pushed through the client's connection pool with many pushes in flight, and outcomes
// (last push time and result, an invalid token) written back in batches: one UPDATE per batch,
// never one per push. Apple refusing the certificate marks it unusable and stops the run.

export type PushSkip = "noCertificate" | "noToken" | "tokenInvalid" | "topicMismatch" | "notFound";
export type DevicePushResult = { deviceId: string } & ({ outcome: PushResult["outcome"]; reason?: string } | { skipped: PushSkip });

export interface PushTotals {
  delivered: number;
  failed: number;
  skipped: number;
}

export interface PushManyOptions {
  /** Devices read per query and outcomes written per UPDATE (default 1,000). */
  batchSize?: number;
  /** Pushes in flight at once (default 400, spread over the client's 4 connections). */
  concurrency?: number;
  /** Called after each batch of outcomes is written. */
  onProgress?: (totals: PushTotals) => void;
}

type Target = { id: string; topic: string | null; pushToken: string | null; pushMagic: string | null; tokenInvalidAt: Date | null };
type Outcome = { id: string; at: number; result: string; invalid: boolean };

const DEFAULT_BATCH = 1000;
// Measured against the local fake: 400 in flight (about 100 a connection) beat 1,000 (less memory churn).
const DEFAULT_CONCURRENCY = 400;

function skipReason(identity: PushIdentityRecord, d: Target): PushSkip | undefined {
  if (!d.pushToken || !d.pushMagic) return "noToken";
  if (d.tokenInvalidAt) return "tokenInvalid";
  // A device enrolled under another topic cannot be woken with this certificate.
  if (d.topic !== identity.topic) return "topicMismatch";
  return undefined;
}

/** Writes a batch of outcomes in one statement; rows deleted meanwhile are simply not matched. */
async function recordOutcomes(rows: Outcome[]): Promise<void> {
  if (!rows.length) return;
  await prisma().$executeRaw`
    UPDATE devices AS d SET last_push_at = u.at, last_push_result = u.result, updated_at = now(),
      token_invalid_at = CASE WHEN u.invalid THEN u.at ELSE d.token_invalid_at END
    FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => new Date(r.at).toISOString())}::timestamptz[],
                ${rows.map((r) => r.result)}::text[], ${rows.map((r) => r.invalid)}::bool[]) AS u(id, at, result, invalid)
    WHERE d.id = u.id`;
}

const COLUMNS = "id::text AS id, topic, push_token AS \"pushToken\", push_magic AS \"pushMagic\", token_invalid_at AS \"tokenInvalidAt\"";

/**
 * The fan-out every push goes through (N = 1 for pushDevice): `pages` yields targets, a pool
 * of workers pushes them, outcomes are flushed every `batchSize`. Resolves once every outcome
 * is written.
 */
async function fanOut(
  identity: PushIdentityRecord,
  pages: AsyncIterator<Target[]>,
  opts: PushManyOptions & { onResult?: (r: DevicePushResult) => void; atMost?: number },
): Promise<PushTotals & { stoppedBy?: "badCertificate" }> {
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const client = getApnsClient(identity);
  const totals: PushTotals = { delivered: 0, failed: 0, skipped: 0 };
  let stoppedBy: "badCertificate" | undefined;
  let unusable: Promise<unknown> | undefined;

  // Targets: the current page plus the next one, fetched while this one is being pushed.
  let buf: Target[] = [];
  let pos = 0;
  let exhausted = false;
  let fetching: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const fill = () =>
    (fetching ??= pages.next().then(
      (r) => {
        if (r.done) exhausted = true;
        else {
          buf = buf.slice(pos).concat(r.value);
          pos = 0;
        }
        fetching = undefined;
      },
      (error) => {
        failure ??= { error };
        exhausted = true;
        fetching = undefined;
      },
    ));
  const next = async (): Promise<Target | undefined> => {
    // Bounded: each round either adds a page or ends the source.
    while (pos >= buf.length && !exhausted) await fill();
    if (failure) return undefined;
    if (buf.length - pos < batchSize / 2 && !exhausted) void fill();
    return pos < buf.length ? buf[pos++] : undefined;
  };

  // Outcomes: written in order, one batch at a time, while pushing goes on.
  let pending: Outcome[] = [];
  let writes: Promise<void> = Promise.resolve();
  const flush = () => {
    const rows = pending;
    pending = [];
    writes = writes.then(async () => {
      await recordOutcomes(rows);
      opts.onProgress?.({ ...totals });
    });
    return writes;
  };

  const worker = async () => {
    for (;;) {
      if (stoppedBy || failure) return;
      const d = await next();
      if (!d) return;
      const skipped = skipReason(identity, d);
      if (skipped) {
        totals.skipped++;
        opts.onResult?.({ deviceId: d.id, skipped });
        continue;
      }
      const r = await client.push(d.pushToken!, { pushMagic: d.pushMagic!, topic: identity.topic });
      if (r.outcome === "badCertificate") {
        stoppedBy = "badCertificate";
        unusable ??= markUnusable(identity.id, r.reason ?? "BadCertificate");
        // A push that never left (the certificate was already refused) says nothing about the device.
        if (r.attempts === 0) {
          totals.failed++;
          opts.onResult?.({ deviceId: d.id, outcome: r.outcome, reason: r.reason });
          continue;
        }
      }
      if (r.outcome === "delivered") totals.delivered++;
      else totals.failed++;
      const invalid = r.outcome === "invalidToken" || r.outcome === "unregistered";
      pending.push({ id: d.id, at: Date.now(), result: r.reason ? `${r.outcome}:${r.reason}` : r.outcome, invalid });
      if (pending.length >= batchSize) void flush().catch(() => {}); // awaited below
      opts.onResult?.({ deviceId: d.id, outcome: r.outcome, reason: r.reason });
    }
  };

  const guarded = () =>
    worker().catch((error) => {
      failure ??= { error }; // the other workers stop at their next device
    });
  const workers = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, opts.atMost ?? Infinity));
  await Promise.all(Array.from({ length: workers }, guarded));
  await flush();
  await unusable;
  if (failure) throw failure.error;
  return { ...totals, ...(stoppedBy && { stoppedBy }) };
}

async function* byIds(ids: string[], batchSize: number): AsyncGenerator<Target[]> {
  for (let i = 0; i < ids.length; i += batchSize) {
    const chunk = ids.slice(i, i + batchSize);
    yield prisma().$queryRawUnsafe<Target[]>(`SELECT ${COLUMNS} FROM devices WHERE id = ANY($1::uuid[])`, chunk);
  }
}

/** Keyset pages (by id) of every device enrolled under the topic that can be pushed. */
async function* byTopic(topic: string, batchSize: number): AsyncGenerator<Target[]> {
  let cursor = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const page = await prisma().$queryRawUnsafe<Target[]>(
      `SELECT ${COLUMNS} FROM devices
       WHERE topic = $1 AND push_token IS NOT NULL AND token_invalid_at IS NULL
         AND status IN ('ENROLLING', 'ACTIVE', 'INACTIVE') AND id > $2::uuid
       ORDER BY id LIMIT $3`,
      topic,
      cursor,
      batchSize,
    );
    if (page.length) yield page;
    if (page.length < batchSize) return;
    cursor = page.at(-1)!.id;
  }
}

/** Wakes one device. */
export async function pushDevice(deviceId: string): Promise<DevicePushResult> {
  const identity = await activeIdentity();
  if (!identity) return { deviceId, skipped: "noCertificate" };
  if (!isUuid(deviceId)) return { deviceId, skipped: "notFound" };
  let result: DevicePushResult = { deviceId, skipped: "notFound" };
  await fanOut(identity, byIds([deviceId], 1), { concurrency: 1, onResult: (r) => (result = r) });
  return result;
}

/**
 * Wakes the given devices (e.g. after a bulk enqueue). delivered + failed + skipped = the number
 * of distinct ids: skipped are unknown devices and those without a usable token or of another
 * topic (all of them when there is no usable push certificate); failed includes devices not
 * reached because Apple refused the certificate mid-run (the run stops there).
 */
export async function pushDevices(deviceIds: string[], opts: PushManyOptions = {}): Promise<PushTotals> {
  const ids = [...new Set(deviceIds)];
  const identity = await activeIdentity();
  if (!identity) return { delivered: 0, failed: 0, skipped: ids.length };
  const valid = ids.filter(isUuid);
  const seen = { n: 0 };
  const r = await fanOut(identity, byIds(valid, Math.max(1, opts.batchSize ?? DEFAULT_BATCH)), {
    ...opts,
    atMost: valid.length,
    onResult: () => seen.n++,
  });
  // Ids that matched no device, and (after a refusal) devices never pushed.
  const unreached = valid.length - seen.n;
  const missing = r.stoppedBy ? 0 : unreached;
  return { delivered: r.delivered, failed: r.failed + (r.stoppedBy ? unreached : 0), skipped: r.skipped + missing + (ids.length - valid.length) };
}

/**
 * Wakes every device enrolled under the active certificate's topic, e.g. after a renewal so
 * that each one checks in. Stops early if Apple refuses the certificate.
 */
export async function pushAllDevices(opts: PushManyOptions = {}): Promise<PushTotals & { stoppedBy?: string }> {
  const identity = await activeIdentity();
  if (!identity) return { delivered: 0, failed: 0, skipped: 0, stoppedBy: "noCertificate" };
  return fanOut(identity, byTopic(identity.topic, Math.max(1, opts.batchSize ?? DEFAULT_BATCH)), opts);
}

/** Devices enrolled under the active certificate's topic that can be woken, e.g. all of them after a renewal. */
export async function pushableDeviceIds(): Promise<string[]> {
  const identity = await activeIdentity();
  if (!identity) return [];
  const rows = await prisma().device.findMany({
    where: { topic: identity.topic, pushToken: { not: null }, tokenInvalidAt: null, status: { in: ["ENROLLING", "ACTIVE", "INACTIVE"] } },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  return rows.map((d) => d.id);
}

/** Devices whose topic differs from the active certificate's: they must enroll again. */
export async function countTopicMismatches(topic: string): Promise<number> {
  return prisma().device.count({ where: { topic: { not: topic }, status: { notIn: ["RETIRED", "WIPED"] } } });
}
