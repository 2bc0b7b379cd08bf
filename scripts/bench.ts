// npm run bench: speed and memory targets, measured on a throwaway database (the PostgreSQL
// named by TEST_DATABASE_URL, else an in-memory PGlite). Exits 1 when a target is missed.
import { generateKeyPairSync } from "node:crypto";
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "../tests/support/test-database";

process.env.MAMORI_DATA_KEY ||= randomBytes(32).toString("base64");
if (!process.env.TEST_DATABASE_URL) process.env.MAMORI_DB_POOL = "1";

interface Result { name: string; value: number; unit: string; target: number; higherIsBetter: boolean }
const results: Result[] = [];

async function timed(n: number, fn: (i: number) => Promise<unknown>, concurrency = 8): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
  return n / ((performance.now() - start) / 1000);
}

async function main() {
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  const { prisma, disconnect } = await import("../lib/db/client");
  const { enqueueCommand, nextCommand, recordAnswer } = await import("../lib/mdm/queue");
  const { createEnrollment, redeemProfileToken, consumeChallenge } = await import("../lib/enrollment/service");
  const { deviceCa } = await import("../lib/pki/device-ca");
  const { issueCertificate } = await import("../lib/pki/ca");
  const { signData } = await import("../lib/pki/cms");
  const { buildPlist, parsePlist } = await import("../lib/mdm/plist");
  const { identifyDevice } = await import("../lib/mdm/identity");
  const { handleCheckin, handleConnect } = await import("../lib/mdm/service");
  const actor = { id: null, label: "bench" };
  try {
    // 1. Command queue: enqueue, hand out, record, across 200 devices.
    const devices = 200;
    await prisma().device.createMany({ data: Array.from({ length: devices }, (_, i) => ({ udid: `BENCH-${i}`, platform: "IOS" as const, status: "ACTIVE" as const })) });
    const ids = (await prisma().device.findMany({ select: { id: true } })).map((d) => d.id);
    const cmd = { requestType: "DeviceInformation", command: { RequestType: "DeviceInformation", Queries: ["DeviceName"] } };
    const enq = await timed(2000, (i) => enqueueCommand(ids[i % devices]!, cmd, { actor, push: false }));
    results.push({ name: "command enqueue", value: enq, unit: "/s", target: 200, higherIsBetter: true });
    const cycle = await timed(2000, async (i) => {
      const c = await nextCommand(ids[i % devices]!, new Date());
      if (c) await recordAnswer(c.deviceId, c.id, "Acknowledged", { result: { ok: true } });
    });
    results.push({ name: "command hand-out + answer", value: cycle, unit: "/s", target: 100, higherIsBetter: true });

    // 2. A device's connect request end to end in-process: signature check, identity, queue.
    const e = await createEnrollment({}, actor, { ip: null, userAgent: null });
    const { challenge } = await redeemProfileToken(e.profileToken);
    await consumeChallenge(challenge);
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const identity = { certPem: issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id]], days: 30 }), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
    const signed = (body: object) => {
      const raw = Buffer.from(buildPlist(body as never));
      return { raw, headers: new Headers({ "mdm-signature": signData(raw, identity, { detached: true }).toString("base64") }) };
    };
    const auth = signed({ MessageType: "Authenticate", Topic: "com.apple.mgmt.External.bench", UDID: "BENCH-DEVICE", ProductName: "iPhone16,2" });
    await handleCheckin(auth.raw, await identifyDevice(auth.headers, auth.raw));
    const idle = signed({ Status: "Idle", UDID: "BENCH-DEVICE" });
    const connects = await timed(500, async () => handleConnect(idle.raw, await identifyDevice(idle.headers, idle.raw)), 4);
    results.push({ name: "signed connect (Idle) handled", value: connects, unit: "/s", target: 50, higherIsBetter: true });

    // 3. A large result plist (a Mac with 2,000 apps) parsed, and the memory it takes.
    const apps = Array.from({ length: 2000 }, (_, i) => ({ Identifier: `com.example.app${i}`, Name: `App ${i}`, Version: "1.0", ShortVersion: "1.0", BundleSize: 123456 }));
    const big = Buffer.from(buildPlist({ Status: "Acknowledged", UDID: "X", CommandUUID: "Y", InstalledApplicationList: apps } as never));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const parses = await timed(50, async () => parsePlist(big), 1);
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
    results.push({ name: `parse ${Math.round(big.length / 1024)} KB result plist`, value: parses, unit: "/s", target: 5, higherIsBetter: true });
    results.push({ name: "heap growth over those parses", value: heapMb, unit: "MB", target: 200, higherIsBetter: false });
  } finally {
    await disconnect();
    await db.drop();
  }
  let failed = 0;
  for (const r of results) {
    const ok = r.higherIsBetter ? r.value >= r.target : r.value <= r.target;
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "MISS"} ${r.name.padEnd(36)} ${r.value.toFixed(1).padStart(9)} ${r.unit.padEnd(3)} (target ${r.higherIsBetter ? "≥" : "≤"} ${r.target})`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
