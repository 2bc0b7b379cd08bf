// npm run bench (second part) [-- --devices 100000 --commands 1000000 --admins 8 --seconds 20]
// The admin console as an admin feels it, on a fleet of 100,000 devices and 1,000,000 commands:
// the production server over real HTTP, signed in through the real sign-in, on PostgreSQL
// (TEST_DATABASE_URL, a throwaway database). Appends to docs/BENCHMARKS.md; exits 1 on a miss.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../tests/support/listen";
import { flag } from "./bench/flags";
import { createTestDatabase } from "../tests/support/test-database";
import { hashPassword } from "../lib/auth/password";
import { startEmbedded } from "../lib/db/embedded";
import { migrate } from "../lib/db/migrate";
import { append, met, percentile, print, type Result } from "./bench/report";
import { allStats, startServer, type Running } from "./bench/processes";
import { cpuOf, cpuOfName, cpuOfSelf } from "./bench/cpu";


const DEVICES = flag("devices", 100_000);
const COMMANDS = flag("commands", 1_000_000);
const ADMINS = flag("admins", 8);
const SECONDS = flag("seconds", 20);
// --embedded: the same figures on the embedded database (PGlite, one server process).
const EMBEDDED = process.argv.includes("--embedded");
const WORKERS = EMBEDDED ? 1 : Number(process.env.MAMORI_WORKERS) || availableParallelism();
const ADMIN = { email: "bench-admin@example.jp", password: "bench admin password 1" };

process.env.TEST_DATABASE_URL ||= "postgresql://postgres@127.0.0.1:5432/postgres";
process.env.MAMORI_DATA_KEY ||= randomBytes(32).toString("base64");
process.env.AUTH_SECRET ||= randomBytes(32).toString("base64url");

/** A fleet shaped like a real one, in a few INSERT … SELECT generate_series statements. */
async function seed(c: pg.Client) {
  await c.query(`INSERT INTO settings (key, value, updated_at) VALUES ('setup.completed', '{}', now())`);
  await c.query(`INSERT INTO users (id, email, display_name, role, password_hash, updated_at) VALUES (gen_random_uuid(), $1, 'Bench Admin', 'ADMIN', $2, now())`,
    [ADMIN.email, await hashPassword(ADMIN.password)]);
  await c.query(`
    INSERT INTO users (id, email, display_name, role, updated_at)
    SELECT gen_random_uuid(), 'user' || i || '@example.jp',
           (ARRAY['佐藤','鈴木','高橋','田中','伊藤'])[1 + i % 5] || ' ' || (ARRAY['太郎','花子','健一','美咲'])[1 + (i / 5) % 4] || i, 'END_USER', now()
    FROM generate_series(1, ${Math.ceil(DEVICES / 5)}) AS i`);
  await c.query(`
    WITH owners AS (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE role = 'END_USER')
    INSERT INTO devices (id, udid, serial_number, name, model_name, os_version, phone_number, supervised, platform, status, owner_id, topic,
                         push_token, push_magic, last_check_in_at, enrolled_at, created_at, updated_at)
    SELECT gen_random_uuid(), upper(md5('udid' || i)), 'F' || upper(substr(md5('serial' || i), 1, 11)),
           (ARRAY['営業部','開発部','総務部','倉庫','受付'])[1 + i % 5] || ' ' || (CASE WHEN i % 10 < 7 THEN 'iPhone' WHEN i % 10 < 9 THEN 'MacBook Pro' ELSE 'Pixel' END) || ' ' || i,
           CASE WHEN i % 10 < 7 THEN 'iPhone 15' WHEN i % 10 < 9 THEN 'MacBook Pro' ELSE 'Pixel 8' END,
           CASE WHEN i % 10 < 7 THEN (ARRAY['17.6','18.0','18.1','18.2','18.3'])[1 + (i / 10) % 5] WHEN i % 10 < 9 THEN '15.1' ELSE '15' END,
           CASE WHEN i % 10 < 7 THEN '+81 90-' || lpad((i % 10000)::text, 4, '0') || '-' || lpad((i / 10000)::text, 4, '0') END,
           CASE WHEN i % 10 = 9 THEN NULL ELSE i % 3 <> 0 END,
           (CASE WHEN i % 10 < 7 THEN 'IOS' WHEN i % 10 < 9 THEN 'MACOS' ELSE 'ANDROID' END)::"Platform",
           (CASE WHEN i % 100 < 85 THEN 'ACTIVE' WHEN i % 100 < 93 THEN 'INACTIVE' WHEN i % 100 < 95 THEN 'ENROLLING' WHEN i % 100 < 98 THEN 'RETIRED' ELSE 'WIPED' END)::"DeviceStatus",
           o.id, 'com.apple.mgmt.External.bench', md5('token' || i), md5('magic' || i),
           now() - ((i * 7919) % (60 * 24 * 60)) * interval '1 minute', now() - (i % 700) * interval '1 day', now() - (i % 700) * interval '1 day', now()
    FROM generate_series(1, ${DEVICES}) AS i JOIN owners o ON o.n = 1 + i % ${Math.ceil(DEVICES / 5)}`);
  // Commands over the last 90 days: mostly done, some failed, a few waiting or put off.
  await c.query(`
    WITH d AS (SELECT id, row_number() OVER () AS n FROM devices)
    INSERT INTO commands (id, device_id, request_type, payload, status, queued_by_label, created_at, responded_at, expires_at, error_chain)
    SELECT gen_random_uuid(), d.id, (ARRAY['DeviceInformation','SecurityInfo','InstalledApplicationList','ProfileList','DeviceLock','EraseDevice'])[1 + i % 6], '{}',
           (CASE WHEN i % 100 < 90 THEN 'ACKNOWLEDGED' WHEN i % 100 < 95 THEN 'ERROR' WHEN i % 100 < 98 THEN 'QUEUED' ELSE 'NOT_NOW' END)::"CommandStatus",
           'bench', now() - (i % 129600) * interval '1 minute', now() - (i % 129600) * interval '1 minute', now() + interval '1 day',
           CASE WHEN i % 100 BETWEEN 90 AND 94 THEN '[{"code": 12021, "domain": "MCMDMErrorDomain", "description": "The device is busy"}]'::jsonb END
    FROM generate_series(1, ${COMMANDS}) AS i JOIN d ON d.n = 1 + i % ${DEVICES}`);
  for (const t of ["users", "devices", "commands"]) await c.query(`VACUUM ANALYZE ${t}`);
}

/** Signs in through next-auth's credentials endpoint as a browser does; returns the Cookie header. */
async function signIn(base: string): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
    body: new URLSearchParams({ csrfToken, email: ADMIN.email, password: ADMIN.password, callbackUrl: `${base}/admin` }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.includes("session-token"))) throw new Error(`sign-in failed: ${res.status} ${res.headers.get("location")}`);
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

async function timed(base: string, cookie: string, p: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(base + p, { headers: { cookie, "accept-language": "ja" }, redirect: "manual" });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
  return { ms: performance.now() - t, bytes: body.byteLength };
}

/** Bytes on the wire for `p` when the browser accepts gzip, as an admin's browser downloads it. */
async function transferred(base: string, cookie: string, p: string): Promise<number> {
  const { request } = await import("node:http");
  const u = new URL(base + p);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { cookie, "accept-language": "ja", "accept-encoding": "gzip, br" } }, (res) => {
      let n = 0;
      res.on("data", (c: Buffer) => (n += c.length));
      res.on("end", () => resolve(n));
    });
    req.on("error", reject);
    req.end();
  });
}

async function series(base: string, cookie: string, p: string, n: number) {
  for (let i = 0; i < 5; i++) await timed(base, cookie, p); // warm-up: compiled routes, prepared statements, caches
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const r = await timed(base, cookie, p);
    ms.push(r.ms);
    bytes = r.bytes;
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), bytes };
}

async function main() {
  const results: Result[] = [];
  const loadBefore = loadavg()[0]!;
  const tmp = mkdtempSync(path.join(tmpdir(), "mamori-bench-admin-"));
  const dataDir = path.join(tmp, "data");
  // On the embedded database the fleet is seeded into the data folder the server then opens.
  const embedded = EMBEDDED ? await startEmbedded(path.join(dataDir, "pglite")) : null;
  const db = embedded ? { url: embedded.url, drop: async () => {} } : await createTestDatabase();
  let server: Running | undefined;
  try {
    if (embedded) await migrate(db.url);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    let t = performance.now();
    await seed(c);
    await c.end();
    await embedded?.stop();
    console.log(`seeded ${DEVICES} devices and ${COMMANDS} commands in ${((performance.now() - t) / 1000).toFixed(0)} s`);

    const port = await freePort();
    // BENCH_PROFILE=dir: every server process writes a V8 CPU profile there when it stops.
    const profile: Record<string, string> = process.env.BENCH_PROFILE ? { MAMORI_CPU_PROF_DIR: path.resolve(process.env.BENCH_PROFILE) } : {};
    server = await startServer({ DATABASE_URL: embedded ? "" : db.url, PORT: String(port), HOST: "127.0.0.1", MAMORI_WORKERS: String(WORKERS), MAMORI_SQL_COUNT: "1", MAMORI_DATA_DIR: dataDir, ...profile });
    const base = `http://127.0.0.1:${port}`;
    const cookie = await signIn(base);
    const fleet = DEVICES.toLocaleString("en-US");

    const dash = await series(base, cookie, "/admin", 40);
    results.push({ name: `dashboard p95 (${fleet} devices)`, value: dash.p95, unit: "ms", target: 100, higherIsBetter: false });
    results.push({ name: "dashboard p50", value: dash.p50, unit: "ms" });
    if (process.env.BENCH_DUMP) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(process.env.BENCH_DUMP, await (await fetch(`${base}/admin/devices`, { headers: { cookie, "accept-language": "ja" } })).text());
    }
    const list50 = await series(base, cookie, "/admin/devices", 40);
    results.push({ name: "device list, 50 rows, p95", value: list50.p95, unit: "ms", target: 100, higherIsBetter: false });
    results.push({ name: "device list, 50 rows, p50", value: list50.p50, unit: "ms" });
    results.push({ name: "device list page weight, 50 rows, transferred (compressed)", value: (await transferred(base, cookie, "/admin/devices")) / 1024, unit: "KB", target: 100, higherIsBetter: false });
    results.push({ name: "device list page weight, 50 rows, HTML uncompressed", value: list50.bytes / 1024, unit: "KB" });
    const list100 = await series(base, cookie, "/admin/devices?size=100", 40);
    results.push({ name: "device list, 100 rows, p95", value: list100.p95, unit: "ms", target: 150, higherIsBetter: false });
    const search = await series(base, cookie, `/admin/devices?q=${encodeURIComponent("ｉｐｈｏｎｅ １２３")}`, 20);
    results.push({ name: "device list, folded search, p95", value: search.p95, unit: "ms" });

    // 8 admins at once, each going through the pages an admin uses, for SECONDS seconds.
    const pages = ["/admin", "/admin/devices", "/admin/devices?status=INACTIVE", "/admin/devices?sort=name&dir=asc&page=40", "/admin/devices?q=iPhone%201234", "/admin/users", "/admin/audit"];
    const lat: number[] = [];
    const byPage = new Map<string, number[]>();
    let errors = 0;
    // Where the cores go meanwhile: CPU seconds of the server processes, PostgreSQL and this
    // load generator, per page served.
    const statsBefore = await allStats(port, WORKERS);
    const serverPids = statsBefore.map((x) => x.pid);
    // On the embedded database PostgreSQL runs inside the cluster primary: the other node processes count as "PostgreSQL".
    const cpu = () => ({ server: cpuOf(serverPids), postgres: EMBEDDED ? cpuOfName("node") - cpuOf([...serverPids, process.pid]) : cpuOfName("postgres"), generator: cpuOfSelf() });
    const cpuBefore = cpu();
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: ADMINS }, async (_, a) => {
      for (let i = a; performance.now() < end; i++) {
        try {
          const pagePath = pages[i % pages.length]!;
          const ms = (await timed(base, cookie, pagePath)).ms;
          lat.push(ms);
          byPage.set(pagePath, [...(byPage.get(pagePath) ?? []), ms]);
        } catch {
          errors++;
        }
      }
    }));
    const cpuAfter = cpu();
    const statementsDuring = (await allStats(port, WORKERS)).reduce((n, x) => n + x.statements, 0) - statsBefore.reduce((n, x) => n + x.statements, 0);
    lat.sort((x, y) => x - y);
    results.push({ name: `pages per second, ${ADMINS} admins at once`, value: lat.length / SECONDS, unit: "pages/s", target: 60, higherIsBetter: true });
    results.push({ name: `page p95, ${ADMINS} admins at once`, value: percentile(lat, 95), unit: "ms" });
    results.push({ name: "page errors", value: errors, unit: "", target: 0, higherIsBetter: false });
    for (const k of ["server", "postgres", "generator"] as const) {
      results.push({ name: `  CPU per page under that load: ${k === "server" ? "server processes" : k === "postgres" ? "PostgreSQL" : "load generator"}`, value: ((cpuAfter[k] - cpuBefore[k]) * 1000) / Math.max(1, lat.length), unit: "ms" });
    }
    results.push({ name: "  SQL statements per page under that load", value: statementsDuring / Math.max(1, lat.length), unit: "" });
    results.push({ name: `  cores busy under that load (of ${availableParallelism()})`, value: (Object.keys(cpuAfter) as (keyof typeof cpuAfter)[]).reduce((n, k) => n + cpuAfter[k] - cpuBefore[k], 0) / SECONDS, unit: "" });
    for (const [p, ms] of byPage) results.push({ name: `  ${p} p50 under that load`, value: percentile(ms.sort((a, b) => a - b), 50), unit: "ms" });

    // The CSV of every device: time to the last byte, and the servers' memory meanwhile (what
    // the export adds to the largest process: a server's own footprint is not the export's).
    const rssBefore = Math.max(...(await allStats(port, WORKERS)).map((x) => x.rss));
    let peak = rssBefore;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = await allStats(port, WORKERS).catch(() => []);
        peak = Math.max(peak, ...s.map((x) => x.rss));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    t = performance.now();
    const csv = await timed(base, cookie, "/api/admin/devices/export");
    const exportSecs = (performance.now() - t) / 1000;
    sampling = false;
    await sampler;
    results.push({ name: `CSV export of ${fleet} devices`, value: exportSecs, unit: "s", target: 3, higherIsBetter: false });
    results.push({ name: "CSV size", value: csv.bytes / 1048576, unit: "MB" });
    results.push({ name: "server RSS before the export (largest process)", value: rssBefore / 1048576, unit: "MB" });
    results.push({ name: "server RSS growth during the export", value: (peak - rssBefore) / 1048576, unit: "MB", target: 300, higherIsBetter: false });
  } finally {
    await server?.stop();
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
  print(results);
  const settings = `${WORKERS} server process(es), ${availableParallelism()} cores, Node ${process.version}; admin console on ${EMBEDDED ? "the embedded database (PGlite)" : "PostgreSQL"}: ${EMBEDDED ? "--embedded " : ""}--devices ${DEVICES} --commands ${COMMANDS} --admins ${ADMINS} --seconds ${SECONDS}; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`;
  append(path.join("docs", "BENCHMARKS.md"), new Date().toISOString().replace(/\.\d+Z$/, "Z"), settings, results);
  process.exit(results.every(met) ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
