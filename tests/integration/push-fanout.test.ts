import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa, type TestCa } from "../support/test-ca";
import { serverIdentity, signPushCsr } from "../support/push-fixtures";
import { startFakeApns, type FakeApns, type FakeApnsOptions } from "../support/fake-apns";
import { prisma } from "@/lib/db/client";
import * as svc from "@/lib/push-certificates/service";
import { pushAllDevices, pushDevice, pushDevices } from "@/lib/apns/push-service";
import { closeApnsClients } from "@/lib/apns/provider";

// The fan-out against real PostgreSQL and the real HTTP/2 TLS fake: many devices, batched
// outcome writes, several connections with many streams, GOAWAY, a refused certificate.

useOwnDatabase();

const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: "vitest" };
const uuid = randomUUID();
const topic = `com.apple.mgmt.External.${uuid}`;
const N = 1200;
let ca: TestCa;
let dir: string;
let apns: FakeApns | undefined;
let ids: string[] = [];
const tokenOf = new Map<string, string>();

// Every statement the Prisma pool sends, read off pg.Client (the adapter's driver).
const statements: string[] = [];
const realQuery = pg.Client.prototype.query;

async function fake(extra: Partial<FakeApnsOptions> = {}): Promise<FakeApns> {
  await closeApnsClients(); // the next client reads APNS_URL again
  const server = serverIdentity(ca);
  apns = await startFakeApns({ caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem, expectedTopic: topic, ...extra });
  process.env.APNS_URL = apns.url;
  return apns;
}

beforeAll(async () => {
  ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
  dir = mkdtempSync(path.join(tmpdir(), "apns-fanout-"));
  writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
  process.env.APNS_CA_FILE = path.join(dir, "ca.pem");
  await svc.generateRequest(actor, ctx);
  const csr = (await svc.pendingCsr())!;
  await svc.uploadPushCertificate({ file: Buffer.from(signPushCsr(ca, csr, { uuid, days: 300 }).certPem), appleId: "mdm@example.jp", notes: "" }, actor, ctx);
  await prisma().device.createMany({
    data: Array.from({ length: N }, (_, i) => ({ udid: `FAN-${i}`, platform: "IOS" as const, status: "ACTIVE" as const, topic, pushToken: randomBytes(32).toString("hex"), pushMagic: randomUUID() })),
  });
  const rows = await prisma().device.findMany({ select: { id: true, pushToken: true }, orderBy: { id: "asc" } });
  ids = rows.map((r) => r.id);
  for (const r of rows) tokenOf.set(r.id, r.pushToken!);
  // Not pushed by pushAllDevices: another topic, retired.
  await prisma().device.createMany({
    data: [
      { udid: "OTHER", platform: "IOS", status: "ACTIVE", topic: "com.apple.mgmt.External.other", pushToken: "ee".repeat(32), pushMagic: "m" },
      { udid: "GONE", platform: "IOS", status: "RETIRED", topic, pushToken: "ff".repeat(32), pushMagic: "m" },
    ],
  });
  (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    statements.push(typeof q === "string" ? q : (q?.text ?? ""));
    return (realQuery as (...a: unknown[]) => unknown).apply(this, args);
  };
});

afterEach(async () => {
  await apns?.close();
  apns = undefined;
});

afterAll(async () => {
  pg.Client.prototype.query = realQuery;
  await closeApnsClients();
  rmSync(dir, { recursive: true, force: true });
});

const resetPushState = () => prisma().device.updateMany({ data: { lastPushAt: null, lastPushResult: null, tokenInvalidAt: null } });

describe("push fan-out", () => {
  it("pushes 1,200 devices over several connections and records each outcome in batched UPDATEs", async () => {
    const f = await fake({ responseDelayMs: 2 });
    // Every 10th device's token is bad, every 10th (offset 1) unregistered.
    ids.forEach((id, i) => {
      if (i % 10 === 3) f.respond(tokenOf.get(id)!, { status: 400, reason: "BadDeviceToken" });
      if (i % 10 === 7) f.respond(tokenOf.get(id)!, { status: 410, reason: "Unregistered" });
    });
    statements.length = 0;
    const progress: number[] = [];
    const r = await pushAllDevices({ batchSize: 250, onProgress: (t) => progress.push(t.delivered + t.failed) });
    expect(r).toEqual({ delivered: 960, failed: 240, skipped: 0 });

    // One UPDATE per batch of 250 outcomes, not one per push.
    const updates = statements.filter((s) => /^\s*UPDATE devices/i.test(s));
    expect(updates.length).toBeGreaterThanOrEqual(5);
    expect(updates.length).toBeLessThanOrEqual(6);
    expect(statements.length).toBeLessThan(30);
    expect(progress.at(-1)).toBe(N);

    const counts = await prisma().device.groupBy({ by: ["lastPushResult"], _count: true, where: { topic } });
    const by = Object.fromEntries(counts.map((c) => [String(c.lastPushResult), c._count]));
    expect(by).toEqual({ delivered: 960, "invalidToken:BadDeviceToken": 120, "unregistered:Unregistered": 120, null: 1 });
    expect(await prisma().device.count({ where: { tokenInvalidAt: { not: null } } })).toBe(240);
    const bad = await prisma().device.findUniqueOrThrow({ where: { id: ids[3]! } });
    expect(bad.tokenInvalidAt).toEqual(bad.lastPushAt);
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids[0]! } })).lastPushAt).toBeInstanceOf(Date);
    expect(await prisma().device.count({ where: { udid: { in: ["OTHER", "GONE"] }, lastPushAt: { not: null } } })).toBe(0);

    // Concurrency on the wire: several TLS sessions, many streams on each.
    expect(f.requests).toHaveLength(N);
    expect(f.sessions).toBeGreaterThan(1);
    expect(f.maxInFlightPerSession).toBeGreaterThan(1);
    expect(new Set(f.requests.map((q) => q.session)).size).toBe(f.sessions);

    // A second run skips nothing but the now-invalid tokens, which it no longer reads.
    statements.length = 0;
    expect(await pushAllDevices({ batchSize: 250 })).toEqual({ delivered: 960, failed: 0, skipped: 0 });
  });

  it("pushDevices answers delivered/failed/skipped for exactly the ids given", async () => {
    await resetPushState();
    const f = await fake();
    f.respond(tokenOf.get(ids[1]!)!, { status: 410, reason: "Unregistered" });
    const other = await prisma().device.findUniqueOrThrow({ where: { udid: "OTHER" } });
    const unknown = randomUUID();
    const r = await pushDevices([ids[0]!, ids[1]!, ids[2]!, ids[2]!, other.id, unknown, "not-a-uuid"]);
    expect(r).toEqual({ delivered: 2, failed: 1, skipped: 3 });
    expect(f.requests).toHaveLength(3);
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids[1]! } })).lastPushResult).toBe("unregistered:Unregistered");
    // Single device: the same path, with the device's own answer.
    expect(await pushDevice(ids[0]!)).toEqual({ deviceId: ids[0], outcome: "delivered" });
    expect(await pushDevice(ids[1]!)).toEqual({ deviceId: ids[1], skipped: "tokenInvalid" });
    expect(await pushDevice(unknown)).toEqual({ deviceId: unknown, skipped: "notFound" });
    expect(await pushDevices([])).toEqual({ delivered: 0, failed: 0, skipped: 0 });
  });

  it("recovers when the gateway sends GOAWAY mid-run: every device is still delivered", async () => {
    await resetPushState();
    const f = await fake({ goawayAfter: 150, maxConcurrentStreams: 100 });
    const r = await pushDevices(ids, { batchSize: 300 });
    expect(r).toEqual({ delivered: N, failed: 0, skipped: 0 });
    // Each connection answers its 150 plus the streams already in flight, then goes away.
    expect(f.goaways).toBeGreaterThanOrEqual(3);
    expect(f.sessions).toBeGreaterThan(f.goaways);
    expect(f.maxInFlightPerSession).toBeLessThanOrEqual(100);
    expect(await prisma().device.count({ where: { topic, lastPushResult: "delivered" } })).toBe(N);
  });

  it("stops at a BadCertificate: the certificate is marked unusable and the rest is not pushed", async () => {
    await resetPushState();
    const f = await fake({ responseDelayMs: 5 });
    f.respond(tokenOf.get(ids[0]!)!, { status: 403, reason: "BadCertificate" });
    const r = await pushAllDevices({ batchSize: 100, concurrency: 20 });
    expect(r.stoppedBy).toBe("badCertificate");
    expect(f.requests.length).toBeLessThan(100);
    expect(r.delivered + r.failed).toBeLessThan(100);
    const cert = await prisma().pushCertificate.findFirstOrThrow({ where: { status: "ACTIVE" } });
    expect(cert.unusableReason).toBe("BadCertificate");
    expect(await svc.activeIdentity()).toBeNull();
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids[0]! } })).lastPushResult).toBe("badCertificate:BadCertificate");
    expect(await prisma().device.count({ where: { lastPushAt: { not: null } } })).toBe(f.requests.length);
    expect(await pushDevices(ids.slice(0, 5))).toEqual({ delivered: 0, failed: 0, skipped: 5 });
  });
});
