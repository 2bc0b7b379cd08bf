// npm run bench [-- --devices 1000 --enroll 1000 --push 10000 --concurrency 32 --identity header|signature]
// Loads the production server over real HTTP on 127.0.0.1 and checks the figures against
// their targets (see docs/BENCHMARKS.md, where every run is appended). Exits 1 on a miss.
// PostgreSQL: TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres), on
// which a throwaway database is made and dropped. Server processes: MAMORI_WORKERS or one per core.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../tests/support/listen";
import { flag } from "./bench/flags";
import { createTestDatabase } from "../tests/support/test-database";
import { createTestCa } from "../tests/support/test-ca";
import { serverIdentity, signPushCsr } from "../tests/support/push-fixtures";
import { append, met, percentile, print, type Result } from "./bench/report";
import { allStats, startFakeApnsProcess, startServer, type ProcessStats, type Running } from "./bench/processes";
import { Timings, newDevices, pool } from "./bench/devices";


const DRAIN_DEVICES = flag("devices", 1000);
const ENROLL = Math.max(DRAIN_DEVICES, flag("enroll", 1000));
const PUSH_DEVICES = flag("push", 10_000);
const CONCURRENCY = flag("concurrency", 32);
// How devices prove who they are: "header", the client certificate a TLS-terminating proxy
// verified and passed on (as the neutral load generator of the fleet-engine issue did), or
// "signature", an Mdm-Signature on every request (RSA signing then costs the load generator more
// CPU than the server spends on the request).
const IDENTITY = process.argv.includes("--identity") ? process.argv[process.argv.indexOf("--identity") + 1] : "header";
if (IDENTITY !== "header" && IDENTITY !== "signature") throw new Error("--identity must be header or signature");
const CERT_HEADER = "x-ssl-client-cert";
const COMMANDS_PER_DEVICE = 10;
const WORKERS = Number(process.env.MAMORI_WORKERS) || availableParallelism();

process.env.TEST_DATABASE_URL ||= "postgresql://postgres@127.0.0.1:5432/postgres";
process.env.MAMORI_DATA_KEY ||= randomBytes(32).toString("base64");
process.env.AUTH_SECRET ||= randomBytes(32).toString("base64url");
process.env.MAMORI_PROFILE_LINK_MINUTES = "120"; // links are made before the enrollment run starts

const results: Result[] = [];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds a process has used so far (Linux), NaN where unknown. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return NaN;
  }
}


async function main() {
  const loadBefore = loadavg()[0]!;
  const tmp = mkdtempSync(path.join(tmpdir(), "mamori-bench-"));
  const running: Running[] = [];
  const db = await createTestDatabase();
  try {
    // Certificates: a test CA for the fake APNs (server and push certificate), never Apple's.
    const ca = createTestCa("Apple Application Integration 2 Certification Authority (bench)");
    const tls = serverIdentity(ca);
    const files = { ca: path.join(tmp, "ca.pem"), cert: path.join(tmp, "apns.pem"), key: path.join(tmp, "apns.key") };
    writeFileSync(files.ca, ca.certPem);
    writeFileSync(files.cert, tls.certPem);
    writeFileSync(files.key, tls.keyPem);
    const apns = await startFakeApnsProcess(files);
    running.push(apns);
    Object.assign(process.env, { DATABASE_URL: db.url, APNS_URL: apns.url, APNS_CA_FILE: files.ca });

    const { prisma, disconnect } = await import("../lib/db/client");
    const svc = await import("../lib/push-certificates/service");
    const { createEnrollment } = await import("../lib/enrollment/service");
    const { deviceCa } = await import("../lib/pki/device-ca");
    const { newRsaKeyPem } = await import("../lib/pki/ca");
    const { deviceInformation } = await import("../lib/mdm/commands");
    const { jsonSafe } = await import("../lib/mdm/queue");
    const { pushAllDevices, pushDevices } = await import("../lib/apns/push-service");
    const { closeApnsClients } = await import("../lib/apns/provider");
    const actor = { id: null, label: "bench" };
    const ctx = { ip: "127.0.0.1", userAgent: "bench" };
    try {
      const uuid = randomUUID();
      const topic = `com.apple.mgmt.External.${uuid}`;
      await svc.generateRequest(actor, ctx);
      const csr = (await svc.pendingCsr())!;
      await svc.uploadPushCertificate({ file: Buffer.from(signPushCsr(ca, csr, { uuid, days: 300 }).certPem), appleId: "bench@example.jp", notes: "" }, actor, ctx);
      await deviceCa(); // made once here, not raced by the first SCEP requests of two workers

      const port = await freePort();
      const server = await startServer({
        DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1", MAMORI_WORKERS: String(WORKERS),
        MAMORI_ALLOW_HTTP_MDM: "1", MAMORI_SQL_COUNT: "1", MAMORI_DATA_DIR: path.join(tmp, "data"),
        MAMORI_CLIENT_CERT_HEADER: CERT_HEADER, MAMORI_TRUSTED_PROXIES: "1",
      });
      running.push(server);
      const base = `http://127.0.0.1:${port}`;
      console.log(`server: ${WORKERS} process(es) on ${base}; APNs fake on ${apns.url}`);

      /** CPU of the server processes, PostgreSQL's backends and this load generator, and the servers' statements, from now on. */
      const usage = async () => {
        const backends = async () => (await prisma().$queryRaw<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`).map((r) => r.pid);
        const pgPids = await backends();
        const servers = await allStats(port, WORKERS);
        const cpuOf = (pids: number[]) => sum(pids.map(cpuSeconds).filter((x) => !Number.isNaN(x)));
        const start = { server: cpuOf(servers.map((p) => p.pid)), pg: cpuOf(pgPids), load: process.cpuUsage(), statements: sum(servers.map((p) => p.statements)) };
        return {
          since: async () => {
            const now = await allStats(port, WORKERS);
            const load = process.cpuUsage(start.load);
            // Backends opened meanwhile count whole.
            const opened = (await backends()).filter((pid) => !pgPids.includes(pid));
            const cost = { server: cpuOf(servers.map((p) => p.pid)) - start.server, pg: cpuOf(pgPids) - start.pg + cpuOf(opened), load: (load.user + load.system) / 1e6, statements: sum(now.map((p) => p.statements)) - start.statements };
            const ms = (secs: number, n: number) => (secs * 1000) / Math.max(1, n);
            return {
              ...cost,
              per: (n: number, what: string): Result[] => [
                { name: `CPU per ${what}: server processes`, value: ms(cost.server, n), unit: "ms" },
                { name: `CPU per ${what}: PostgreSQL backends`, value: ms(cost.pg, n), unit: "ms" },
                { name: `CPU per ${what}: load generator`, value: ms(cost.load, n), unit: "ms" },
              ],
            };
          },
        };
      };

      // 1. Enrollment over the public protocol: profile, SCEP, Authenticate, TokenUpdate.
      const tokens: string[] = [];
      await pool(Array.from({ length: ENROLL }), 16, async () => void tokens.push((await createEnrollment({}, actor, ctx)).profileToken));
      const timings = new Timings();
      const devices = newDevices(ENROLL, newRsaKeyPem(), timings, IDENTITY === "header" ? CERT_HEADER : undefined); // one key: keygen is not what is measured
      let enrollFailures = 0;
      let firstError = "";
      const enrollUsage = await usage();
      let t = performance.now();
      await pool(devices, CONCURRENCY, async (d, i) => {
        await d.enroll(`${base}/enroll/profile/${tokens[i]}`).catch((e: Error) => {
          enrollFailures++;
          firstError ||= e.message;
        });
      });
      const enrollSecs = (performance.now() - t) / 1000;
      if (firstError) console.log(`first enrollment failure: ${firstError}`);
      results.push({ name: `enrollment (${ENROLL} devices, ${CONCURRENCY} at once)`, value: ENROLL / enrollSecs, unit: "devices/s", target: Math.ceil(10_000 / 180), higherIsBetter: true });
      results.push({ name: "enrollment failures", value: enrollFailures, unit: "", target: 0, higherIsBetter: false });
      // (The device-enrolled jobs that follow each enrollment may still be running: not counted here.)
      const enrollCost = await enrollUsage.since();
      results.push({ name: "SQL statements per enrollment (all processes)", value: enrollCost.statements / ENROLL, unit: "statements" });
      results.push(...enrollCost.per(ENROLL, "enrollment"));

      // 2. Enqueue 10 DeviceInformation per device in one statement (what a bulk enqueue writes).
      const drained = devices.slice(0, DRAIN_DEVICES);
      const ids = (await prisma().$queryRaw<{ id: string }[]>`SELECT id::text FROM devices WHERE udid = ANY(${drained.map((d) => d.udid)})`).map((r) => r.id);
      const payload = JSON.stringify(jsonSafe(deviceInformation("IOS").command));
      const enqueue = (deviceIds: string[], perDevice: number) => prisma().$executeRaw`
        INSERT INTO commands (id, device_id, request_type, payload, queued_by_label, expires_at)
        SELECT gen_random_uuid(), d.id, 'DeviceInformation', ${payload}::jsonb, 'bench', now() + interval '72 hours'
        FROM unnest(${deviceIds}::uuid[]) AS d(id), generate_series(1, ${perDevice}::int)`;
      t = performance.now();
      const queued = await enqueue(ids, COMMANDS_PER_DEVICE);
      results.push({ name: `enqueue for the drain (${queued} commands, one INSERT)`, value: queued / ((performance.now() - t) / 1000), unit: "commands/s" });

      // 3. Drain: 32 devices at a time connect and answer every command like an iPhone.
      const before = await allStats(port, WORKERS);
      const drainUsage = await usage();
      const from = performance.now();
      let connectErrors = 0;
      for (let pass = 0; pass < 3; pass++) {
        await pool(drained, CONCURRENCY, async (d) => void (await d.connect().catch(() => connectErrors++)));
        const [{ left }] = await prisma().$queryRaw<[{ left: number }]>`SELECT count(*)::int AS left FROM commands WHERE device_id = ANY(${ids}::uuid[]) AND status <> 'ACKNOWLEDGED'`;
        if (left === 0) break;
      }
      const drainSecs = (performance.now() - from) / 1000;
      const drainCost = await drainUsage.since();
      const after = await allStats(port, WORKERS);
      const [{ acks }] = await prisma().$queryRaw<[{ acks: number }]>`SELECT count(*)::int AS acks FROM commands WHERE device_id = ANY(${ids}::uuid[]) AND status = 'ACKNOWLEDGED'`;
      const lat = timings.sorted(from, performance.now());
      const delta = (a: ProcessStats[], b: ProcessStats[]) => sum(b.map((s) => s.statements - (a.find((x) => x.pid === s.pid)?.statements ?? 0)));
      results.push({ name: `commands acknowledged (of ${queued})`, value: acks, unit: "", target: queued, higherIsBetter: true });
      results.push({ name: "acks per second", value: acks / drainSecs, unit: "acks/s", target: 800, higherIsBetter: true });
      results.push({ name: "device request p50", value: percentile(lat, 50), unit: "ms" });
      results.push({ name: "device request p99", value: percentile(lat, 99), unit: "ms", target: 150, higherIsBetter: false });
      results.push({ name: "SQL statements per ack (all processes)", value: delta(before, after) / Math.max(1, acks), unit: "statements", target: 3, higherIsBetter: false });
      after.forEach((s, i) => results.push({ name: `server RSS, process ${i + 1} of ${after.length}`, value: s.rss / 1048576, unit: "MB", target: 350, higherIsBetter: false }));
      results.push({ name: "device connect errors", value: connectErrors, unit: "", target: 0, higherIsBetter: false });
      results.push(...drainCost.per(acks, "ack"));

      // 4. Device latency while an administrator queues a command for 10,000 devices.
      await prisma().$executeRaw`
        INSERT INTO devices (id, udid, platform, status, topic, push_token, push_magic, created_at, updated_at)
        SELECT gen_random_uuid(), 'BENCH-' || i, 'IOS', 'ACTIVE', ${topic}, md5(random()::text) || md5(random()::text), gen_random_uuid()::text, now(), now()
        FROM generate_series(1, ${PUSH_DEVICES}::int) AS i`;
      const fleet = (await prisma().$queryRaw<{ id: string }[]>`SELECT id::text FROM devices WHERE udid LIKE 'BENCH-%' LIMIT 10000`).map((r) => r.id);
      let polling = true;
      const pollers = Array.from({ length: CONCURRENCY }, async (_, k) => {
        for (let i = k; polling; i += CONCURRENCY) await drained[i % drained.length]!.connect().catch(() => connectErrors++);
      });
      await sleep(500);
      const windowStart = performance.now();
      for (let round = 0; round < 3; round++) await enqueue(fleet, 1);
      const enqueueMs = (performance.now() - windowStart) / 3;
      await sleep(Math.max(0, 1000 - (performance.now() - windowStart)));
      const windowEnd = performance.now();
      polling = false;
      await Promise.all(pollers);
      const during = timings.sorted(windowStart, windowEnd);
      results.push({ name: `enqueue ${fleet.length} commands, one per device (while devices poll)`, value: enqueueMs, unit: "ms", target: 1000, higherIsBetter: false });
      results.push({ name: `device request p99 during bulk enqueue (${during.length} requests)`, value: percentile(during, 99), unit: "ms", target: 300, higherIsBetter: false });
      results.push({ name: "requests sent again after a closed connection", value: timings.retries, unit: "" });

      // 5. Push every device of the topic to the local HTTP/2 fake (separate process). A server
      // keeps its APNs connections open, so they are opened (and the code warmed) first.
      await pushDevices(fleet.slice(0, 1000));
      const cpuBefore = after.map((p) => cpuSeconds(p.pid));
      t = performance.now();
      const pushed = await pushAllDevices();
      const pushSecs = (performance.now() - t) / 1000;
      const total = pushed.delivered + pushed.failed;
      results.push({ name: `pushes, connections open (${total} devices)`, value: total / pushSecs, unit: "pushes/s", target: 5_000, higherIsBetter: true });
      results.push({ name: "push failures", value: pushed.failed, unit: "", target: 0, higherIsBetter: false });
      // What else ran meanwhile: server processes busy here (scheduled jobs) share the two cores.
      results.push({ name: "server CPU while pushing (all processes)", value: sum(after.map((p, i) => cpuSeconds(p.pid) - cpuBefore[i]!)) / pushSecs, unit: "cores" });
      await closeApnsClients();
    } finally {
      await disconnect();
    }

    // 6. In-process: a large result plist (a Mac with 2,000 apps) parsed, and the memory it takes.
    const { buildPlist, parsePlist } = await import("../lib/mdm/plist");
    const apps = Array.from({ length: 2000 }, (_, i) => ({ Identifier: `com.example.app${i}`, Name: `App ${i}`, Version: "1.0", ShortVersion: "1.0", BundleSize: 123456 }));
    const big = Buffer.from(buildPlist({ Status: "Acknowledged", UDID: "X", CommandUUID: "Y", InstalledApplicationList: apps } as never));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) parsePlist(big);
    results.push({ name: `parse ${Math.round(big.length / 1024)} KB result plist`, value: 50 / ((performance.now() - t0) / 1000), unit: "/s", target: 5, higherIsBetter: true });
    results.push({ name: "heap growth over those parses", value: (process.memoryUsage().heapUsed - heapBefore) / 1048576, unit: "MB", target: 200, higherIsBetter: false });
  } finally {
    for (const r of running.reverse()) await r.stop();
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  }

  print(results);
  const settings = `${WORKERS} server process(es), ${availableParallelism()} cores, Node ${process.version}; --devices ${DRAIN_DEVICES} --enroll ${ENROLL} --push ${PUSH_DEVICES} --concurrency ${CONCURRENCY} --identity ${IDENTITY}; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (the run itself adds about 2; more means other work shared the machine)`;
  append(path.join("docs", "BENCHMARKS.md"), new Date().toISOString().replace(/\.\d+Z$/, "Z"), settings, results);
  const missed = results.filter((r) => !met(r)).length;
  console.log(missed ? `${missed} target(s) missed` : "all targets met");
  process.exit(missed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
