import { createHash } from "node:crypto";
import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import { getSetting } from "@/lib/settings";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import type { BuiltCommand } from "@/lib/mdm/queue";
import { deviceInformation, securityInfo } from "@/lib/mdm/commands";
import type { Actor } from "@/lib/audit";

// Automatic information collection (seed 003: デバイス情報自動収集). Every active Apple device
// is asked for DeviceInformation and SecurityInfo once per interval (the `collection`
// setting). Not all at once: each device has a stable turn within the interval, derived from
// its id, and a job that runs every few minutes queues the devices whose turn fell in the
// time since its last run. The scheduler's advisory lock lets one instance run it at a time;
// it is idempotent anyway, since a device that already has a collection command waiting, or
// fresh inventory, is left alone.

/** How often the job runs: the width of a window. */
export const COLLECTION_TICK_MS = 5 * 60_000;
export const COLLECTION_COMMANDS = ["DeviceInformation", "SecurityInfo"] as const;
/**
 * Inventory newer than this share of the interval counts as fresh and the device's turn is
 * skipped. Not the whole interval: a device answers a little after its turn, so a full
 * interval later its inventory is a few seconds younger than the interval and it would be
 * skipped every other time.
 */
export const FRESH_SHARE = 0.75;
export const SYSTEM_ACTOR: Actor = { id: null, label: "system" };

const HOUR = 3_600_000;
const CURSOR_KEY = "collection.cursor";
const PENDING = ["QUEUED", "SENT", "NOT_NOW"] as const;
const BATCH = 1000;

/** A device's stable place in every interval: an offset in [0, interval) from its id. */
export function collectionOffset(deviceId: string, intervalMs: number): number {
  const digest = createHash("sha256").update(deviceId).digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(intervalMs));
}

/** True when one of a device's turns (k·interval + offset since the epoch) falls in (from, to]. */
export function turnFallsIn(offset: number, intervalMs: number, from: Date, to: Date): boolean {
  return Math.floor((to.getTime() - offset) / intervalMs) > Math.floor((from.getTime() - offset) / intervalMs);
}

/**
 * Queues DeviceInformation and SecurityInfo (actor "system", one push) for each active Apple
 * device whose turn falls in (from, to], unless a collection command is already waiting for it
 * or its inventory is fresh. Returns the devices queued; running it again for the same window
 * queues none.
 */
export async function collectWindow(from: Date, to: Date, intervalHours: number, now = to): Promise<string[]> {
  const intervalMs = intervalHours * HOUR;
  const freshAfter = new Date(now.getTime() - intervalMs * FRESH_SHARE);
  const queued: string[] = [];
  let after: string | undefined;
  for (;;) {
    const batch = await prisma().device.findMany({
      where: {
        status: "ACTIVE",
        platform: { in: ["IOS", "MACOS"] },
        inventory: { none: { kind: "deviceInformation", updatedAt: { gte: freshAfter } } },
        commands: { none: { requestType: { in: [...COLLECTION_COMMANDS] }, status: { in: [...PENDING] }, expiresAt: { gt: now } } },
        ...(after && { id: { gt: after } }),
      },
      select: { id: true, platform: true },
      orderBy: { id: "asc" },
      take: BATCH,
    });
    for (const d of batch) {
      if (d.platform === "ANDROID" || !turnFallsIn(collectionOffset(d.id, intervalMs), intervalMs, from, to)) continue;
      const commands = [deviceInformation(d.platform), securityInfo(d.platform)] as BuiltCommand[];
      try {
        for (const [i, c] of commands.entries()) await enqueueCommand(d.id, c, { actor: SYSTEM_ACTOR, push: i === commands.length - 1 });
        queued.push(d.id);
      } catch (e) {
        // Retired or removed since the query: nothing to collect.
        if (!isUserError(e)) throw e;
      }
    }
    if (batch.length < BATCH) return queued;
    after = batch.at(-1)!.id;
  }
}

export interface CollectionRun {
  from: Date;
  to: Date;
  queued: string[];
}

/**
 * The scheduler's job. The window runs from the previous run (kept in the settings table, so
 * every instance continues where the last one stopped) to `now`, at most one interval back;
 * the first run looks back one tick. Disabled, it only moves the cursor, so that switching it
 * back on does not queue every device at once. Returns null when disabled.
 */
export async function runCollection(now: Date): Promise<CollectionRun | null> {
  const { enabled, intervalHours } = await getSetting("collection");
  const last = await readCursor();
  const from = new Date(last === null ? now.getTime() - COLLECTION_TICK_MS : Math.max(last, now.getTime() - intervalHours * HOUR));
  const queued = enabled && from.getTime() < now.getTime() ? await collectWindow(from, now, intervalHours, now) : [];
  if (last === null || now.getTime() > last) {
    const value = { at: now.toISOString() };
    await prisma().setting.upsert({ where: { key: CURSOR_KEY }, create: { key: CURSOR_KEY, value }, update: { value } });
  }
  return enabled ? { from, to: now, queued } : null;
}

/** When the job last ran (ms), or null the first time or when the row is unreadable. */
async function readCursor(): Promise<number | null> {
  const row = await prisma().setting.findUnique({ where: { key: CURSOR_KEY } });
  const at = (row?.value as { at?: unknown } | null)?.at;
  const ms = typeof at === "string" ? Date.parse(at) : NaN;
  return Number.isNaN(ms) ? null : ms;
}
