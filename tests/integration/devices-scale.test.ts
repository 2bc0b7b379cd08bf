import { PrismaPg } from "@prisma/adapter-pg";
import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { disconnect } from "@/lib/db/client";
import { PrismaClient } from "@/lib/db/generated/client";
import { bulkTargets } from "@/lib/devices/bulk";
import { listUsers } from "@/lib/users/service";
import { EXPORT_BATCH } from "@/lib/devices/export";
import { WEEKS, enrollmentWeeks, weekStart } from "@/lib/dashboard/charts";
import {
  deviceBatch, deviceWhere, listDevices, loadQueryContext, osVersions, parseDeviceFilter, PAGE_SIZE,
} from "@/lib/devices/query";

// The device list's queries on 100,000 devices: each query the page, the export and the bulk
// actions send (captured from Prisma as it sends them) must be answered without reading the
// whole devices table. Plans only, no timings: timing lives in `npm run bench`.

const reason = process.env.TEST_DATABASE_URL ? null : "needs PostgreSQL (TEST_DATABASE_URL): the plans of PGlite's single-user engine say nothing about production";
const DEVICES = 100_000;
// Every count read live, so each view's count is sent and its plan checked (see listDevices).
process.env.MAMORI_COUNT_CACHE_MS = "0";
const USERS = 20_000;
const ACTIVE_TOPIC = "com.apple.mgmt.External.2f0c8a4e-0000-4000-8000-000000000001";
const db = reason ? null : useOwnDatabase();

type Captured = { query: string; params: unknown[] };
let captured: Captured[] = [];
let admin: pg.Client;

/** Seeds users and devices with one INSERT … SELECT generate_series each, shaped like a real fleet. */
async function seed(c: pg.Client) {
  await c.query(`
    INSERT INTO users (id, email, display_name, role, updated_at)
    SELECT gen_random_uuid(),
           (ARRAY['sato','suzuki','takahashi','tanaka','ito','watanabe','yamamoto','nakamura','kobayashi','kato'])[1 + i % 10] || '.' || i || '@example.jp',
           (ARRAY['佐藤','鈴木','高橋','田中','伊藤','渡辺','山本','中村','小林','加藤'])[1 + i % 10] || ' ' || (ARRAY['太郎','花子','健一','美咲','大輔','陽子','翔太','由美'])[1 + (i / 10) % 8] || i,
           'END_USER', now()
    FROM generate_series(1, ${USERS}) AS i`);
  await c.query(`
    WITH owners AS (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE role = 'END_USER')
    INSERT INTO devices (id, udid, serial_number, name, model_name, os_version, phone_number, imei, supervised, platform, status, owner_id,
                         identity_fingerprint, topic, push_token, push_magic, unlock_token_sealed, last_check_in_at, enrolled_at, created_at, updated_at)
    SELECT gen_random_uuid(),
           upper(md5('udid' || i)),
           'F' || upper(substr(md5('serial' || i), 1, 11)),
           CASE WHEN i % 50 = 0 THEN NULL ELSE (ARRAY['佐藤','鈴木','高橋','タナカ','伊藤'])[1 + i % 5] || 'の' || (CASE WHEN i % 10 < 7 THEN 'iPhone' WHEN i % 10 < 9 THEN 'MacBook Pro' ELSE 'Pixel' END) || ' ' || i END,
           CASE WHEN i % 10 < 7 THEN 'iPhone 15' WHEN i % 10 < 9 THEN 'MacBook Pro' ELSE 'Pixel 8' END,
           CASE WHEN i % 10 < 7 THEN (ARRAY['17.5.1','17.6','17.7','18.0','18.1','18.2','18.3','18.4','18.5','18.6'])[1 + (i / 10) % 10]
                WHEN i % 10 < 9 THEN (ARRAY['14.7','15.1','15.3','15.5','15.6'])[1 + (i / 10) % 5] ELSE '15' END,
           CASE WHEN i % 10 < 7 THEN '+81 90-' || lpad((i % 10000)::text, 4, '0') || '-' || lpad((i / 10000)::text, 4, '0') END,
           CASE WHEN i % 10 < 7 THEN lpad(i::text, 15, '35') END,
           CASE WHEN i % 10 = 9 THEN NULL ELSE i % 3 <> 0 END,
           (CASE WHEN i % 10 < 7 THEN 'IOS' WHEN i % 10 < 9 THEN 'MACOS' ELSE 'ANDROID' END)::"Platform",
           (CASE WHEN i % 100 < 85 THEN 'ACTIVE' WHEN i % 100 < 93 THEN 'INACTIVE' WHEN i % 100 < 95 THEN 'ENROLLING' WHEN i % 100 < 98 THEN 'RETIRED' ELSE 'WIPED' END)::"DeviceStatus",
           CASE WHEN i % 20 = 0 THEN NULL ELSE o.id END,
           encode(sha256(('identity' || i)::bytea), 'hex'),
           CASE WHEN i % 100 = 7 THEN 'com.apple.mgmt.External.old-certificate' ELSE '${ACTIVE_TOPIC}' END,
           encode(sha256(('token' || i)::bytea), 'hex'),
           upper(md5('magic' || i)),
           encode(sha512(('unlock' || i)::bytea), 'base64') || encode(sha512(('unlock2' || i)::bytea), 'base64'),
           CASE WHEN i % 100 < 95 THEN now() - ((i * 7919) % (60 * 24 * 60)) * interval '1 minute' END,
           now() - (i % 700) * interval '1 day', now() - (i % 700) * interval '1 day', now()
    FROM generate_series(1, ${DEVICES}) AS i JOIN owners o ON o.n = 1 + i % ${USERS}`);
  // Inventory lives apart from the device row (lib/mdm/storage.ts).
  await c.query(`INSERT INTO device_inventory (device_id, kind, data, updated_at)
                 SELECT id, 'deviceInformation', jsonb_build_object('modelName', 'iPhone', 'osVersion', '18.1', 'batteryLevel', 0.8, 'wifiMac', md5('mac' || udid)), now() FROM devices`);
  await c.query(`INSERT INTO push_certificates (id, status, topic, subject, issuer, serial, not_before, not_after, fingerprint, cert_pem, apple_id, uploaded_by_label)
                 VALUES (gen_random_uuid(), 'ACTIVE', $1, 'CN=APSP', 'CN=Apple', '01', now(), now() + interval '1 year', 'fp', 'pem', 'it@example.jp', 'seed')`, [ACTIVE_TOPIC]);
  // A live table's visibility map is kept by autovacuum; a table just filled has none yet.
  await c.query("VACUUM ANALYZE users");
  await c.query("VACUUM ANALYZE devices");
}

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; "Plan Rows"?: number; Plans?: PlanNode[] };

function nodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(nodes)];
}

/** EXPLAIN of a query exactly as Prisma sent it (same SQL, same parameters). */
async function explain(q: Captured): Promise<PlanNode> {
  const { rows } = await admin.query(`EXPLAIN (FORMAT JSON) ${q.query}`, q.params);
  return rows[0]["QUERY PLAN"][0].Plan;
}

function describePlan(p: PlanNode): string {
  return nodes(p).filter((n) => n["Relation Name"] || n["Index Name"]).map((n) => `${n["Node Type"]} ${n["Index Name"] ?? n["Relation Name"]}`).join(", ");
}

/** Runs `fn`, returns the queries on devices and users that Prisma sent meanwhile. */
async function sent(fn: () => Promise<unknown>): Promise<Captured[]> {
  captured = [];
  await fn();
  return captured.filter((c) => /\b(devices|users)\b/.test(c.query));
}

/**
 * Every query `fn` sends is answered without a sequential scan of `tables`; returns the plans.
 * Users are checked too except where the planner rightly reads all of them (see the export).
 */
async function expectIndexed(fn: () => Promise<unknown>, minQueries = 1, tables = ["devices", "users"]): Promise<string[]> {
  const queries = await sent(fn);
  expect(queries.length).toBeGreaterThanOrEqual(minQueries);
  const plans: string[] = [];
  for (const q of queries) {
    const plan = await explain(q);
    plans.push(describePlan(plan));
    const seq = nodes(plan).filter((n) => n["Node Type"] === "Seq Scan" && tables.includes(n["Relation Name"]!)).map((n) => n["Relation Name"]);
    expect(seq, `${q.query}\n→ ${describePlan(plan)}`).toEqual([]);
  }
  if (process.env.MAMORI_PRINT_PLANS) console.log(plans.join("\n"));
  return plans;
}

const title = `the device list on ${DEVICES.toLocaleString("en")} devices`;
describe.skipIf(!!reason)(reason ? `${title} (skipped: ${reason})` : title, () => {
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: db!.url });
    await admin.connect();
    await seed(admin);
    // The lib's own client, with Prisma's query events on, so the plans are of the SQL it sends.
    await disconnect();
    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: db!.url, max: 4 }), log: [{ emit: "event", level: "query" }] });
    client.$on("query", (e: { query: string; params: string }) => captured.push({ query: e.query, params: JSON.parse(e.params) }));
    (globalThis as unknown as { __mamoriPrisma?: PrismaClient }).__mamoriPrisma = client;
  }, 300_000);

  afterAll(async () => {
    await admin?.end();
    await disconnect();
  });

  const filter = (q: string) => parseDeviceFilter(new URLSearchParams(q), "strict");

  // Each: the context (active topic, owners matching a search), the count, the first page and
  // the owners of its rows.
  it.each<[string, string]>([
    ["default list", ""],
    ["search by owner email", "q=tanaka.1233"],
    ["search by owner name", `q=${"田中 健一"}`],
    ["search by serial number", `q=${createHash("md5").update("serial4242").digest("hex").slice(3, 10).toUpperCase()}`],
    ["search by phone number", "q=90-4242-"],
    ["search by device name", "q=Pixel 4249"],
    ["search typed full-width (NFKC-folded)", `q=${encodeURIComponent("ｐｉｘｅｌ　４２４９")}`],
    ["search in hiragana for a katakana name", `q=${encodeURIComponent("たなかのiphone 123")}`],
    ["platform", "platform=MACOS"],
    ["status", "status=WIPED"],
    ["OS version", "os=17.5.1"],
    ["owner", "owner=sato.1230@example.jp"],
    ["no owner", "owner=none"],
    ["not checked in for 30 days", "checkIn=older&days=30"],
    ["checked in within 1 day", "checkIn=newer&days=1"],
    ["supervised", "supervised=yes"],
    ["not supervised", "supervised=no"],
    ["push topic mismatch", "mismatch=1"],
    ["managed devices on a platform (a dashboard chart's link)", "platform=MACOS&managed=1"],
    ["managed devices on an OS version (a dashboard chart's link)", "os=17.5.1&managed=1"],
    ["sort by name", "sort=name&dir=asc"],
    ["sort by name, descending", "sort=name&dir=desc"],
    ["sort by status", "sort=status&dir=asc"],
    ["sort by OS, descending", "sort=os&dir=desc"],
    ["sort by last check-in, oldest first", "sort=lastCheckIn&dir=asc"],
    ["filters together", "platform=IOS&status=ACTIVE&supervised=no&sort=name&dir=asc"],
  ])("%s: count and first page", async (_name, query) => {
    const f = filter(query);
    const r = await listDevices(f, await loadQueryContext(f));
    expect(r.devices.length).toBe(Math.min(PAGE_SIZE, r.total));
    expect(r.total).toBeGreaterThan(0);
    await expectIndexed(async () => listDevices(f, await loadQueryContext(f)), 2);
  });

  it("the export reads keyset pages by id, filtered or not", async () => {
    // The owners of a batch of 500 come in one "id IN (…500 ids)" query; on 20,000 users the
    // planner rightly reads the whole (small) users table for it, so only devices are checked.
    const devicesOnly = ["devices"];
    for (const q of ["", "status=ACTIVE", "q=tanaka.123"]) {
      const f = filter(q);
      const where = deviceWhere(f, await loadQueryContext(f));
      const first = await deviceBatch(where, null, EXPORT_BATCH, { id: true });
      expect(first.length).toBeGreaterThan(0);
      await expectIndexed(() => deviceBatch(where, null, EXPORT_BATCH, { id: true, owner: { select: { email: true } } }), 1, devicesOnly);
      await expectIndexed(() => deviceBatch(where, first.at(-1)!.id, EXPORT_BATCH, { id: true, owner: { select: { email: true } } }), 1, devicesOnly);
    }
  });

  it("a bulk action on everything a filter matches reads its devices from indexes", async () => {
    await expectIndexed(() => bulkTargets({ scope: "filter", filter: filter("status=WIPED&platform=MACOS") }));
    await expectIndexed(() => bulkTargets({ scope: "filter", filter: filter("q=tanaka.123") }));
  });

  it("the dashboard's enrollments per week read a range of the enrolled_at index", async () => {
    const from = new Date(weekStart(new Date()).getTime() - (WEEKS - 1) * 7 * 86_400_000);
    await expectIndexed(() => enrollmentWeeks(from));
    const weeks = await enrollmentWeeks(from);
    // The seed spreads enrollments over 700 days (about 143 a day): twelve weeks, the current one in part.
    expect(weeks.length).toBeGreaterThanOrEqual(WEEKS);
    expect(weeks.reduce((s, w) => s + w.n, 0)).toBeGreaterThan(10_000);
  });

  it("the users page counts the devices of its own users only, never the whole devices table", async () => {
    const r = await listUsers({ page: 1 });
    expect(r.users.some((u) => u._count.devices > 0)).toBe(true);
    await expectIndexed(() => listUsers({ page: 1 }), 2, ["devices"]);
    // No plan reads more device rows than a page of users can own (an aggregate over the
    // whole table would estimate all 100,000).
    for (const q of (await sent(() => listUsers({ page: 1 }))).filter((c) => /\bdevices\b/.test(c.query))) {
      const plan = await explain(q);
      const onDevices = nodes(plan).filter((n) => n["Relation Name"] === "devices" || /^devices_/.test(n["Index Name"] ?? ""));
      expect(onDevices.length, q.query).toBeGreaterThan(0);
      for (const n of onDevices) expect(n["Plan Rows"], `${q.query}\n→ ${describePlan(plan)}`).toBeLessThan(5_000);
    }
  });

  it("the OS versions for the filter come from the index, one probe per version", async () => {
    await expectIndexed(() => osVersions());
    expect(await osVersions()).toEqual(["14.7", "15", "15.1", "15.3", "15.5", "15.6", "17.5.1", "17.6", "17.7", "18.0", "18.1", "18.2", "18.3", "18.4", "18.5", "18.6"]);
  });
});
