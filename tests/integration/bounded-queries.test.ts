import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { pool, prisma } from "@/lib/db/client";
import { auditFilterChoices, auditWhere, findAuditEvents, parseAuditFilter } from "@/lib/audit/query";
import { deviceDetail } from "@/lib/devices/detail";
import { myDeviceStatus } from "@/lib/portal/devices";

// The admin pages' queries on big audit and command tables: each statement they send is
// EXPLAINed as sent (SQL and parameters captured from the pool Prisma uses). None may read a
// big table from end to end: no Seq Scan on audit_events or commands. Plans, not timings.

const db = useOwnDatabase();
const BIG = ["audit_events", "commands"];
let deviceId: string;
const captured: { text: string; values: unknown[] }[] = [];
let restore: (() => void) | null = null;

function capture() {
  const p = pool() as unknown as { query: (...a: unknown[]) => unknown };
  const original = p.query;
  p.query = function (this: unknown, ...args: unknown[]) {
    const [q, v] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
    const text = typeof q === "string" ? q : q.text;
    if (BIG.some((t) => text.includes(`"${t}"`) || text.includes(` ${t} `))) captured.push({ text, values: (typeof q === "string" ? v : q.values) ?? [] });
    return original.apply(this, args);
  };
  restore = () => void (p.query = original);
}

afterEach(() => {
  restore?.();
  restore = null;
  captured.length = 0;
});

type PlanNode = { "Node Type": string; "Relation Name"?: string; Plans?: PlanNode[] };
function seqScans(node: PlanNode, out: string[] = []): string[] {
  if (node["Node Type"] === "Seq Scan" && node["Relation Name"] && BIG.includes(node["Relation Name"])) out.push(node["Relation Name"]);
  for (const child of node.Plans ?? []) seqScans(child, out);
  return out;
}

async function plansOf(work: () => Promise<unknown>): Promise<{ sql: string; seq: string[] }[]> {
  capture();
  await work();
  restore?.();
  expect(captured.length).toBeGreaterThan(0);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const out = [];
    for (const q of captured) {
      const { rows } = await c.query(`EXPLAIN (FORMAT JSON) ${q.text}`, q.values as unknown[]);
      out.push({ sql: q.text.slice(0, 160), seq: seqScans(rows[0]["QUERY PLAN"][0].Plan) });
    }
    return out;
  } finally {
    await c.end();
  }
}

type AnalyzedNode = PlanNode & { "Actual Rows"?: number; "Actual Loops"?: number; "Rows Removed by Filter"?: number; "Index Name"?: string };
/** Rows the executor read from the big tables (returned by a scan, or read and thrown away by its filter). */
function rowsRead(node: AnalyzedNode): number {
  const onBig = (node["Relation Name"] && BIG.includes(node["Relation Name"])) || BIG.some((t) => node["Index Name"]?.startsWith(t));
  const own = onBig ? (node["Actual Rows"] ?? 0) * (node["Actual Loops"] ?? 1) + (node["Rows Removed by Filter"] ?? 0) : 0;
  return own + (node.Plans ?? []).reduce((n, c) => n + rowsRead(c as AnalyzedNode), 0);
}

/** The most rows any one statement of `work` read from the big tables, run for real (EXPLAIN ANALYZE). */
async function mostRowsRead(work: () => Promise<unknown>): Promise<number> {
  capture();
  await work();
  restore?.();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    let most = 0;
    for (const q of captured) {
      const { rows } = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.text}`, q.values as unknown[]);
      most = Math.max(most, rowsRead(rows[0]["QUERY PLAN"][0].Plan));
    }
    return most;
  } finally {
    await c.end();
  }
}

const noSeqScan = (plans: { sql: string; seq: string[] }[]) => expect(plans.filter((p) => p.seq.length)).toEqual([]);

beforeAll(async () => {
  const sql = (q: string) => prisma().$executeRawUnsafe(q);
  await sql(`INSERT INTO devices (id, udid, platform, status, updated_at) SELECT gen_random_uuid(), 'UDID-' || g, 'IOS', 'ACTIVE', now() FROM generate_series(1, 1000) g`);
  deviceId = (await prisma().device.findFirstOrThrow({ where: { udid: "UDID-7" } })).id;
  // 300,000 audit events over a year, 60 actions, 5 target types; 300,000 commands.
  await sql(`INSERT INTO audit_events (at, actor_label, action, target_type, target_id, result)
    SELECT now() - (h || ' minutes')::interval, 'admin' || (h % 50) || '@example.jp', 'action.' || (h % 60),
           (ARRAY['device','user','pushCertificate','configuration','page'])[1 + (h % 5)::int], d.id::text,
           (ARRAY['SUCCESS','FAILURE','DENIED']::"AuditResult"[])[1 + (h % 3)::int]
    FROM generate_series(1, 300) g CROSS JOIN LATERAL (SELECT id, g * 1000 + row_number() OVER () AS h FROM devices) d`);
  await sql(`INSERT INTO commands (id, device_id, request_type, payload, status, queued_by_label, created_at, expires_at)
    SELECT gen_random_uuid(), d.id, (ARRAY['DeviceInformation','DeviceLock','InstalledApplicationList'])[1 + g % 3], '{}',
           (ARRAY['ACKNOWLEDGED','ACKNOWLEDGED','ACKNOWLEDGED','ERROR','QUEUED']::"CommandStatus"[])[1 + g % 5], 't', now() - (g || ' seconds')::interval, now()
    FROM generate_series(1, 300) g CROSS JOIN devices d`);
  await sql(`ANALYZE`);
}, 240_000);

describe("page queries stay bounded on big tables", () => {
  it("the audit page: a page of events, the capped count, and the filter choices", async () => {
    const tz = "Asia/Tokyo";
    const f = (q: Record<string, string>) => parseAuditFilter(q);
    noSeqScan(await plansOf(() => findAuditEvents(auditWhere(f({}), tz), 1, 50)));
    noSeqScan(await plansOf(() => findAuditEvents(auditWhere(f({ action: "action.7" }), tz), 3, 50)));
    noSeqScan(await plansOf(() => findAuditEvents(auditWhere(f({ targetType: "user" }), tz), 1, 50)));
    noSeqScan(await plansOf(() => findAuditEvents(auditWhere(f({ from: "2026-12-01T00:00", to: "2026-12-02T00:00" }), tz), 1, 50)));
    const choices = await auditFilterChoices();
    expect(choices.actions).toHaveLength(60);
    expect(choices.targetTypes.sort()).toEqual(["configuration", "device", "page", "pushCertificate", "user"]);
    noSeqScan(await plansOf(() => auditFilterChoices()));
  });

  it("a rare action's events are found through its index, not by walking the log backwards", async () => {
    await prisma().$executeRawUnsafe(`INSERT INTO audit_events (at, actor_label, action, result)
      SELECT now() - interval '300 days' - (g || ' minutes')::interval, 'admin@example.jp', 'rare.action', 'SUCCESS' FROM generate_series(1, 5) g`);
    await prisma().$executeRawUnsafe(`ANALYZE audit_events`);
    const where = auditWhere(parseAuditFilter({ action: "rare.action" }), "Asia/Tokyo");
    const found = await findAuditEvents(where, 1, 50);
    expect(found.events.map((e) => e.action)).toEqual(Array(5).fill("rare.action"));
    expect(found.total).toBe(5);
    // 300,000 rows in the table: a page read through the (action, at) index touches a handful.
    expect(await mostRowsRead(() => findAuditEvents(where, 1, 50))).toBeLessThan(100);
    // The unfiltered first page reads one page's worth, the capped count at most the cap.
    const unfiltered = await mostRowsRead(() => findAuditEvents(auditWhere(parseAuditFilter({}), "Asia/Tokyo"), 1, 50));
    expect(unfiltered).toBeGreaterThan(50);
    expect(unfiltered).toBeLessThanOrEqual(10_001);
  });

  it("the dashboard's latest events and failed commands", async () => {
    noSeqScan(await plansOf(() => prisma().auditEvent.findMany({ orderBy: { id: "desc" }, take: 8 })));
    noSeqScan(await plansOf(() => prisma().command.findMany({ where: { status: "ERROR" }, orderBy: { createdAt: "desc" }, take: 10, include: { device: { select: { id: true } } } })));
  });

  it("a device's page and the portal's status poll", async () => {
    noSeqScan(await plansOf(() => deviceDetail(deviceId)));
    const device = await prisma().device.findUniqueOrThrow({ where: { id: deviceId } });
    noSeqScan(await plansOf(() => myDeviceStatus({ groupId: null }, device)));
  });
});
