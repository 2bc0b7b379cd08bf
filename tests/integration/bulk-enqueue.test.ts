import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { finishedJob, startTestJobs } from "../support/jobs";
import { prisma } from "@/lib/db/client";
import { bulkEnqueue, insertCommands } from "@/lib/mdm/enqueue";
import { commandBody } from "@/lib/mdm/queue";
import { deviceLock } from "@/lib/mdm/commands";
import { UserError } from "@/lib/errors";
import { BULK_MAX, runBulkAction } from "@/lib/devices/bulk";
import { parseDeviceFilter } from "@/lib/devices/query";

// The one enqueue path at fleet size: 12,000 devices seeded with one INSERT … SELECT, a bulk
// lock over all of them plus ids that do not exist. No timings here (scripts/enqueue-timing.ts).

const db = useOwnDatabase();
const N = 12_000;
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.9", userAgent: "vitest" };
let ids: string[] = [];
const expected = { IOS: 0, MACOS: 0, ANDROID: 0, gone: 0 };

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  // i % 10: 0–5 iPhone, 6–7 Mac, 8 Android, 9 iPhone; every 25th retired or wiped.
  await sql(`
    INSERT INTO devices (id, udid, name, platform, status, created_at, updated_at)
    SELECT gen_random_uuid(), 'BULK-' || i, 'bulk ' || lpad(i::text, 5, '0'),
      (CASE WHEN i % 10 IN (6, 7) THEN 'MACOS' WHEN i % 10 = 8 THEN 'ANDROID' ELSE 'IOS' END)::"Platform",
      (CASE WHEN i % 50 = 0 THEN 'RETIRED' WHEN i % 50 = 25 THEN 'WIPED' ELSE 'ACTIVE' END)::"DeviceStatus",
      now(), now()
    FROM generate_series(1, ${N}) AS i`);
  const rows = await sql<{ id: string; platform: "IOS" | "MACOS" | "ANDROID"; status: string }>("SELECT id, platform, status FROM devices WHERE udid LIKE 'BULK-%' ORDER BY udid");
  ids = rows.map((r) => r.id);
  for (const r of rows) {
    if (r.status === "RETIRED" || r.status === "WIPED") expected.gone++;
    else expected[r.platform]++;
  }
});

describe("bulk enqueue", () => {
  it("queues one command per eligible device in one statement, refuses the rest by reason, audits once, and hands the pushes to a job", async () => {
    const unknown = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const audits = await prisma().auditEvent.count();
    const r = await bulkEnqueue([...ids, ...unknown], {
      IOS: [deviceLock("IOS", { message: "Call IT" }) as never],
      MACOS: new UserError("mdm.pinRequired"),
    }, { actor, ...ctx, action: "device.bulk", details: { action: "lock", scope: "filter", filter: { q: "bulk" } } });

    expect(r.deviceIds).toHaveLength(expected.IOS);
    expect(r.commandIds).toHaveLength(expected.IOS);
    expect(Object.fromEntries(r.refused.map((x) => [x.reason, x.count]))).toEqual({
      "errors.mdm.pinRequired": expected.MACOS,
      "errors.mdm.notSupported": expected.ANDROID,
      "errors.device.notManaged": expected.gone,
      "errors.device.notFound": 5,
    });
    expect(r.refused.find((x) => x.reason === "errors.mdm.notSupported")!.params).toEqual({ command: "MDM", platform: "Android" });
    expect(r.refused.every((x) => x.samples.length === Math.min(10, x.count))).toBe(true);

    // The rows: one DeviceLock per active iPhone, nothing for anyone else.
    const [row] = await sql<{ n: number; devices: number; ios: number; bad_ids: number; labels: number; expiry: boolean }>(`
      SELECT count(*)::int AS n, count(DISTINCT c.device_id)::int AS devices,
        count(*) FILTER (WHERE d.platform = 'IOS' AND d.status = 'ACTIVE')::int AS ios,
        count(*) FILTER (WHERE c.id::text !~ '^[0-9a-f-]{36}$')::int AS bad_ids,
        count(*) FILTER (WHERE c.queued_by_label = 'admin@example.jp' AND c.status = 'QUEUED' AND c.attempts = 0 AND c.request_type = 'DeviceLock')::int AS labels,
        bool_and(c.expires_at BETWEEN now() + interval '71 hours' AND now() + interval '73 hours') AS expiry
      FROM commands c JOIN devices d ON d.id = c.device_id WHERE d.udid LIKE 'BULK-%'`);
    expect(row).toEqual({ n: expected.IOS, devices: expected.IOS, ios: expected.IOS, bad_ids: 0, labels: expected.IOS, expiry: true });
    const one = await prisma().command.findFirstOrThrow({ where: { id: r.commandIds[0] } });
    expect(one.payload).toEqual({ RequestType: "DeviceLock", Message: "Call IT" });
    expect(commandBody(one)).toEqual({ RequestType: "DeviceLock", Message: "Call IT" });

    // One audit event for the whole operation.
    expect(await prisma().auditEvent.count()).toBe(audits + 1);
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "device.bulk" }, orderBy: { id: "desc" } });
    expect(event).toMatchObject({
      actorLabel: actor.label, ip: ctx.ip, targetLabel: String(N + 5),
      details: { action: "lock", scope: "filter", filter: { q: "bulk" }, commands: ["DeviceLock"], devices: N + 5, queued: expected.IOS, commandsQueued: expected.IOS, jobId: r.job!.id },
    });

    // The pushes: a job over exactly the queued devices.
    expect(r.job).toMatchObject({ kind: "push-devices", status: "QUEUED", total: expected.IOS, done: 0 });
    const [boss] = await sql<{ n: number }>("SELECT jsonb_array_length(data->'deviceIds')::int AS n FROM pgboss.job WHERE name = 'push-devices' AND data->>'jobId' = $1", [r.job!.id]);
    expect(boss!.n).toBe(expected.IOS);
  });

  it("the push job works through every device in batches and records its progress", async () => {
    await startTestJobs();
    const job = await prisma().job.findFirstOrThrow({ where: { kind: "push-devices" }, orderBy: { createdAt: "desc" } });
    // No push certificate here: the job stops at once and counts every device as skipped.
    expect(await finishedJob(job)).toMatchObject({ status: "DONE", total: expected.IOS, done: expected.IOS, failed: 0, outcome: { skipped: expected.IOS, stoppedBy: "noCertificate" } });
  });

  it("keeps each device's commands in their order", async () => {
    const some = ids.slice(0, 30);
    const r = await insertCommands(some, { "*": [
      { requestType: "DeviceInformation", command: { RequestType: "DeviceInformation", Queries: ["UDID"] } },
      { requestType: "SecurityInfo", command: { RequestType: "SecurityInfo" } },
      { requestType: "ProfileList", command: { RequestType: "ProfileList" } },
    ] }, { actor });
    expect(r.commandIds.length).toBe(r.deviceIds.length * 3);
    const rows = await prisma().command.findMany({ where: { id: { in: r.commandIds } }, orderBy: { seq: "asc" }, select: { deviceId: true, requestType: true } });
    const byDevice = new Map<string, string[]>();
    for (const c of rows) byDevice.set(c.deviceId, [...(byDevice.get(c.deviceId) ?? []), c.requestType]);
    for (const list of byDevice.values()) expect(list).toEqual(["DeviceInformation", "SecurityInfo", "ProfileList"]);
  });

  it("from the device list: the admin is told what was queued, with the job to follow", async () => {
    const r = await runBulkAction({ scope: "filter", filter: parseDeviceFilter(new URLSearchParams("q=bulk&platform=MACOS"), "strict") }, "lock", { pin: "123456" }, actor, ctx);
    // Every Mac named "bulk …" (all active): queued with the PIN.
    expect(r).toMatchObject({ action: "lock", total: expected.MACOS, queued: expected.MACOS, refused: [] });
    expect(await prisma().job.findUniqueOrThrow({ where: { id: r.jobId! } })).toMatchObject({ kind: "push-devices", total: expected.MACOS });
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)("takes up to BULK_MAX devices by filter and refuses more", async () => {
    expect(BULK_MAX).toBe(100_000);
    await sql(`INSERT INTO devices (id, udid, name, platform, status, created_at, updated_at)
      SELECT gen_random_uuid(), 'LIMIT-' || i, 'limit ' || i, 'IOS', 'ACTIVE', now(), now() FROM generate_series(1, ${BULK_MAX + 1 - N}) AS i`);
    const all = parseDeviceFilter(new URLSearchParams(""), "strict");
    await expect(runBulkAction({ scope: "filter", filter: all }, "refresh", {}, actor, ctx)).rejects.toMatchObject({ code: "device.bulkTooMany", params: { count: BULK_MAX + 1, max: BULK_MAX } });
    await sql("DELETE FROM devices WHERE udid = 'LIMIT-1'");
    const r = await runBulkAction({ scope: "filter", filter: all }, "checkIn", {}, actor, ctx);
    expect(r.total).toBe(BULK_MAX);
  });
});
