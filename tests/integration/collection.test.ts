import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { saveSetting } from "@/lib/settings";
import { COLLECTION_TICK_MS, FRESH_SHARE, collectWindow, collectionOffset, runCollection, turnFallsIn } from "@/lib/devices/collection";
import { definedJobs, sendJob } from "@/lib/jobs/queue";
import { startTestJobs } from "../support/jobs";

useOwnDatabase();

const HOUR = 3_600_000;
const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const ELIGIBLE = 40;
// A simulated clock: whole ticks from a fixed start, near the real time (commands expire by it).
const START = new Date(Math.floor(Date.now() / COLLECTION_TICK_MS) * COLLECTION_TICK_MS);
const at = (ms: number) => new Date(START.getTime() + ms);

let eligible: string[] = [];
/** Eligible from the second interval on: the fresh device joins. */
let collected: string[] = [];

/** The device's turn in the day-long interval that starts `from` after START. */
function turnIn(id: string, from: number): Date {
  const interval = 24 * HOUR;
  const off = collectionOffset(id, interval);
  return new Date(Math.floor((START.getTime() + from + interval - off) / interval) * interval + off);
}
const skipped: Record<string, string> = {};

async function device(udid: string, { lastInventoryAt, ...data }: Partial<{ platform: "IOS" | "MACOS" | "ANDROID"; status: "ACTIVE" | "INACTIVE" | "RETIRED" | "WIPED" | "ENROLLING"; lastInventoryAt: Date }> = {}) {
  const id = (await prisma().device.create({ data: { udid, platform: "IOS", status: "ACTIVE", ...data } })).id;
  if (lastInventoryAt) await inventoryAt([id], lastInventoryAt);
  return id;
}

/** When the devices last answered DeviceInformation (null: never). */
async function inventoryAt(ids: string[], when: Date | null) {
  await prisma().deviceInventory.deleteMany({ where: { deviceId: { in: ids }, kind: "deviceInformation" } });
  if (when) await prisma().deviceInventory.createMany({ data: ids.map((deviceId) => ({ deviceId, kind: "deviceInformation", data: {}, updatedAt: when })) });
}

async function setCollection(enabled: boolean, intervalHours = 24) {
  await saveSetting("collection", { enabled, intervalHours }, admin, ctx);
}

/** Runs the job every tick for `ticks` ticks after `from`; returns which tick queued which device. */
async function runTicks(from: number, ticks: number): Promise<Map<string, number[]>> {
  const seen = new Map<string, number[]>();
  for (let k = 1; k <= ticks; k++) {
    const run = await runCollection(at(from + k * COLLECTION_TICK_MS));
    for (const id of run?.queued ?? []) seen.set(id, [...(seen.get(id) ?? []), k]);
  }
  return seen;
}

beforeAll(async () => {
  for (let i = 0; i < ELIGIBLE; i++) eligible.push(await device(`eligible-${i}`, { platform: i % 3 ? "IOS" : "MACOS", ...(i % 2 ? { lastInventoryAt: at(-3 * 24 * HOUR) } : {}) }));
  skipped.inactive = await device("inactive", { status: "INACTIVE" });
  skipped.retired = await device("retired", { status: "RETIRED" });
  skipped.wiped = await device("wiped", { status: "WIPED" });
  skipped.enrolling = await device("enrolling", { status: "ENROLLING" });
  skipped.android = await device("android", { platform: "ANDROID" });
  // Refreshed by an admin an hour before its turn: skipped this round, due the next.
  skipped.fresh = await device("fresh");
  await inventoryAt([skipped.fresh], new Date(turnIn(skipped.fresh, 0).getTime() - HOUR));
  // An admin's refresh is still waiting for the device.
  skipped.pending = await device("pending");
  await prisma().command.create({
    data: { id: randomUUID().toUpperCase(), deviceId: skipped.pending, requestType: "DeviceInformation", payload: {}, queuedByLabel: "admin@example.jp", expiresAt: new Date(Date.now() + 72 * HOUR) },
  });
  eligible = eligible.sort();
});

describe("turns", () => {
  it("each device has a stable offset within the interval", () => {
    const day = 24 * HOUR;
    for (const id of eligible) {
      const off = collectionOffset(id, day);
      expect(off).toBe(collectionOffset(id, day));
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThan(day);
    }
    expect(new Set(eligible.map((id) => collectionOffset(id, day))).size).toBe(eligible.length);
  });

  it("a turn falls in exactly one of the consecutive windows that tile an interval", () => {
    const interval = 24 * HOUR;
    for (const id of eligible.slice(0, 5)) {
      const off = collectionOffset(id, interval);
      let hits = 0;
      for (let k = 0; k < interval / COLLECTION_TICK_MS; k++) if (turnFallsIn(off, interval, at(k * COLLECTION_TICK_MS), at((k + 1) * COLLECTION_TICK_MS))) hits++;
      expect(hits).toBe(1);
    }
  });
});

describe("collection over simulated time", () => {
  it("queues every active Apple device exactly once per interval, spread over the windows, skipping the rest", async () => {
    // Switched off, a run only moves the cursor: the interval starts at START.
    await setCollection(false);
    expect(await runCollection(START)).toBeNull();
    await setCollection(true, 24);

    const seen = await runTicks(0, (24 * HOUR) / COLLECTION_TICK_MS);
    expect([...seen.keys()].sort()).toEqual(eligible);
    for (const [id, ticks] of seen) expect(ticks, id).toHaveLength(1);
    // Spread: many windows, none with more than a handful, not all in the first.
    const perTick = new Map<number, number>();
    for (const [, [k]] of seen) perTick.set(k!, (perTick.get(k!) ?? 0) + 1);
    expect(perTick.size).toBeGreaterThan(ELIGIBLE / 2);
    expect(Math.max(...perTick.values())).toBeLessThanOrEqual(5);
    expect(perTick.get(1) ?? 0).toBeLessThan(ELIGIBLE);

    // Two commands each, queued by "system", audited; nothing for the devices skipped.
    const rows = await prisma().command.groupBy({ by: ["deviceId", "requestType"], where: { queuedByLabel: "system" }, _count: true });
    expect(rows).toHaveLength(ELIGIBLE * 2);
    expect(rows.every((r) => r._count === 1 && ["DeviceInformation", "SecurityInfo"].includes(r.requestType))).toBe(true);
    expect(rows.some((r) => Object.values(skipped).includes(r.deviceId))).toBe(false);
    expect(await prisma().auditEvent.count({ where: { action: "command.enqueue", actorLabel: "system" } })).toBe(ELIGIBLE * 2);
  });

  it("is idempotent: the same window again, or the same moment again, queues nothing", async () => {
    // Every device's turn lies somewhere in the interval just simulated; all but one have a
    // command waiting. The device refreshed by hand an hour before its turn may be due by the
    // interval's end (when that hour was early in it): once, and not again.
    const before = await prisma().command.count();
    const first = await collectWindow(at(0), at(24 * HOUR), 24);
    expect(first.filter((id) => id !== skipped.fresh)).toEqual([]);
    expect(await collectWindow(at(0), at(24 * HOUR), 24)).toEqual([]);
    const now = at(24 * HOUR);
    expect((await runCollection(now))?.queued).toEqual([]);
    expect((await runCollection(now))?.queued).toEqual([]);
    expect(await prisma().command.count()).toBe(before + 2 * first.length);
  });

  it("in the next interval queues each device again once, after it has answered a little after its turn", async () => {
    // Every device answered a minute after its command was queued (at its turn): a full
    // interval later its inventory is a minute short of a day old, and still due.
    expect(FRESH_SHARE).toBeLessThan(1);
    await prisma().command.updateMany({ where: { queuedByLabel: "system" }, data: { status: "ACKNOWLEDGED" } });
    for (const id of eligible) await inventoryAt([id], new Date(turnIn(id, 0).getTime() + 60_000));

    const seen = await runTicks(24 * HOUR, (24 * HOUR) / COLLECTION_TICK_MS);
    // The device refreshed by hand before its turn last time is due now; the one with a
    // waiting command still is not.
    collected = [...eligible, skipped.fresh!].sort();
    expect([...seen.keys()].sort()).toEqual(collected);
    for (const [id, ticks] of seen) expect(ticks, id).toHaveLength(1);
    expect(await prisma().command.count({ where: { deviceId: skipped.pending, queuedByLabel: "system" } })).toBe(0);
  });

  it("a shorter interval spreads the same devices over fewer, fuller windows", async () => {
    await prisma().command.updateMany({ where: { queuedByLabel: "system" }, data: { status: "ACKNOWLEDGED" } });
    await inventoryAt(collected, null);
    await setCollection(true, 1);
    const seen = await runTicks(48 * HOUR, HOUR / COLLECTION_TICK_MS);
    expect([...seen.keys()].sort()).toEqual(collected);
    for (const [, ticks] of seen) expect(ticks).toHaveLength(1);
  });

  it("a long pause catches up at most one interval, then carries on", async () => {
    await prisma().command.updateMany({ where: { queuedByLabel: "system" }, data: { status: "ACKNOWLEDGED" } });
    await inventoryAt(collected, null);
    // Ten hours with no run at all (every instance down), with a one-hour interval.
    const run = await runCollection(at(59 * HOUR));
    expect(run!.from).toEqual(at(58 * HOUR));
    expect(run!.queued.sort()).toEqual(collected);
  });
});

describe("the scheduled job", () => {
  it("is device-collection, every tick, and runs runCollection through the engine", async () => {
    await startTestJobs();
    expect(definedJobs().get("device-collection")).toMatchObject({ cron: "*/5 * * * *" });
    expect(COLLECTION_TICK_MS).toBe(5 * 60_000);
    // The job runs at the real time: the cursor moves there (the tests above ran in the future,
    // so rewind it first to see it move).
    await prisma().setting.deleteMany({ where: { key: "collection.cursor" } });
    await sendJob("device-collection", {});
    let row = null;
    for (let i = 0; i < 200 && !row; i++) {
      await new Promise((r) => setTimeout(r, 100));
      row = await prisma().setting.findUnique({ where: { key: "collection.cursor" } });
    }
    expect(Date.parse((row!.value as { at: string }).at)).toBeGreaterThan(Date.now() - 60_000);
  });
});
