import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "@/scripts/build-state";
import { pool as inParallel } from "@/scripts/bench/devices";
import { startServer, type Running } from "@/scripts/bench/processes";
import { disconnect, pool } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { isDatabaseUnavailable } from "@/lib/db/unavailable";
import { PrismaClient } from "@/lib/db/generated/client";
import { PrismaPg } from "@prisma/adapter-pg";
import { freePort } from "@/tests/support/listen";
import { createTestDatabase } from "@/tests/support/test-database";
import { startPgCluster } from "@/tests/support/pg-cluster";
import { FLEET_SERVER_ENV, FLEET_TOPIC, devicePut, drain, makeFleet, tally, type FleetDevice } from "@/tests/support/device-fleet";

// Faults under a burst of 1,000 devices draining their commands through the production server
// (npm start's cluster and device endpoint): the server killed with SIGKILL, and PostgreSQL
// stopped immediately (a crash, as its clients see it) and started again. Afterwards every
// command is acknowledged exactly once, none lost, none handed out after its acknowledgement.

const DEVICES = 1000;
const COMMANDS = 2; // per device: the second goes out in the answer to the first
const CONCURRENCY = 100;

const tmp = mkdtempSync(path.join(tmpdir(), "mamori-faults-"));
beforeAll(() => ensureBuilt(), 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function acknowledged(devices: FleetDevice[]): Promise<number> {
  const { rows } = await pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM commands WHERE status = 'ACKNOWLEDGED' AND device_id = ANY($1::uuid[])`, [devices.map((d) => d.deviceId)]);
  return rows[0]!.n;
}

/**
 * A hand-out whose answer never reached the device (the server or database went away after the
 * statement committed) is sent again after RESEND_AFTER_MS. Rather than wait two minutes, the
 * test moves those hand-outs back in time, then lets every device connect once more.
 */
async function resendUnanswered(base: string, devices: FleetDevice[]): Promise<number> {
  const { rowCount } = await pool().query(`UPDATE commands SET sent_at = sent_at - interval '3 minutes' WHERE status = 'SENT' AND device_id = ANY($1::uuid[])`, [devices.map((d) => d.deviceId)]);
  await inParallel(devices, 32, (d) => drain(base, d, Date.now() + 60_000));
  return rowCount ?? 0;
}

function expectEachCommandOnce(t: Awaited<ReturnType<typeof tally>>) {
  expect(t.total).toBe(DEVICES * COMMANDS);
  expect(t.byStatus).toEqual({ ACKNOWLEDGED: DEVICES * COMMANDS });
  expect(t.handedTwice).toEqual([]);
  expect(t.neverReceived).toEqual([]);
  expect(t.answersNotOnce).toEqual([]);
  expect(t.inconsistent).toBe(0);
}

const countOf = (devices: FleetDevice[], status: number | "network") => devices.reduce((n, d) => n + d.statuses.filter((s) => s === status).length, 0);

const serverEnv = (url: string, port: number, workers: number) => ({
  ...FLEET_SERVER_ENV,
  DATABASE_URL: url,
  PORT: String(port),
  HOST: "127.0.0.1",
  MAMORI_WORKERS: String(workers),
  MAMORI_DATA_DIR: path.join(tmp, "data"),
});

describe.skipIf(!process.env.TEST_DATABASE_URL)("isDatabaseUnavailable", () => {
  it("tells a database that is away from a query that failed", async () => {
    const closed = `postgresql://postgres@127.0.0.1:${await freePort()}/postgres`;
    const refused = await new pg.Client({ connectionString: closed }).connect().catch((e: unknown) => e);
    expect(isDatabaseUnavailable(refused)).toBe(true);
    const viaPrisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: closed }) });
    const prismaRefused = await viaPrisma.user.count().catch((e: unknown) => e);
    await viaPrisma.$disconnect();
    expect(isDatabaseUnavailable(prismaRefused)).toBe(true);
    // The server ends the connection under a running query (what a restart does to it).
    const victim = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await victim.connect();
    victim.on("error", () => {});
    const { rows } = await victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const killer = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await killer.connect();
    const sleeping = victim.query("SELECT pg_sleep(10)").catch((e: unknown) => e);
    await sleep(200);
    await killer.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
    await killer.end();
    expect(isDatabaseUnavailable(await sleeping)).toBe(true);
    // A bad query on a healthy database is not an outage.
    const healthy = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await healthy.connect();
    const bad = await healthy.query("SELECT * FROM no_such_table").catch((e: unknown) => e);
    await healthy.end();
    expect(isDatabaseUnavailable(bad)).toBe(false);
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)("faults during a command burst", () => {
  it("kill -9 of the server mid-burst: after a restart nothing is lost or handed out twice", async () => {
    const db = await createTestDatabase();
    await disconnect();
    process.env.DATABASE_URL = db.url;
    let server: Running | undefined;
    try {
      const fleet = await makeFleet(DEVICES, COMMANDS);
      const port = await freePort();
      const env = serverEnv(db.url, port, 2);
      const base = `http://127.0.0.1:${port}`;
      server = await startServer(env);
      const burst = inParallel(fleet, CONCURRENCY, (d) => drain(base, d, Date.now() + 300_000));
      await until(async () => (await acknowledged(fleet)) >= (DEVICES * COMMANDS) / 4, 120_000, "a quarter of the acknowledgements");
      process.kill(-server.child.pid!, "SIGKILL"); // the primary and every worker, no clean-up
      const atKill = await acknowledged(fleet);
      expect(atKill).toBeLessThan(DEVICES * COMMANDS);
      await sleep(1_000); // devices find nobody there
      server = await startServer(env);
      await burst;
      expect(fleet.some((d) => d.statuses.includes("network"))).toBe(true);
      const resent = await resendUnanswered(base, fleet);
      console.log(`kill -9: ${atKill} of ${DEVICES * COMMANDS} acknowledged at the kill; ${countOf(fleet, "network")} requests found no server; ${resent} hand-outs lost with it and sent again`);
      expect(resent).toBeLessThanOrEqual(CONCURRENCY); // only hand-outs under way at the kill
      expectEachCommandOnce(await tally(fleet));
      // Never a refusal: a 401 would make a device unenroll.
      expect(fleet.flatMap((d) => d.statuses).filter((s) => s !== 200 && s !== "network" && s < 500)).toEqual([]);
    } finally {
      await server?.stop();
      await disconnect();
      await db.drop();
    }
  }, 600_000);

  it("a PostgreSQL restart mid-burst recovers by itself: devices get 503 meanwhile, then every command once", async () => {
    const cluster = await startPgCluster();
    let server: Running | undefined;
    try {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query("CREATE DATABASE mamori");
      await admin.end();
      const url = cluster.url.replace(/\/postgres$/, "/mamori");
      await migrate(url);
      await disconnect();
      process.env.DATABASE_URL = url;
      const fleet = await makeFleet(DEVICES, COMMANDS);
      const [enrolling] = await makeFleet(1, 0, "ENROLLING");
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      server = await startServer(serverEnv(url, port, 1));
      const burst = inParallel(fleet, CONCURRENCY, (d) => drain(base, d, Date.now() + 300_000));
      await until(async () => (await acknowledged(fleet)) >= (DEVICES * COMMANDS) / 4, 120_000, "a quarter of the acknowledgements");
      cluster.stop("immediate");
      // Check-ins (through Prisma) are deferred the same way, with a hint when to come back.
      const during = await devicePut(base, "checkin", fleet[0]!, { MessageType: "TokenUpdate", Topic: FLEET_TOPIC, UDID: fleet[0]!.udid, Token: Buffer.alloc(32, 1), PushMagic: "PM" });
      expect([during.status, during.headers.get("retry-after"), await during.text()]).toEqual([503, "5", "database unavailable"]);
      await sleep(3_000);
      cluster.start();
      await burst;
      const statuses = fleet.flatMap((d) => d.statuses);
      expect(statuses).toContain(503);
      // The server stayed up (no connection ever refused) and answered only 200, or 503 while the database was away.
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(server.output()).not.toMatch(/exited \(|starting another/);
      // Hundreds of deferred requests, a line or two in the log.
      expect(server.output().match(/MDM requests deferred/g)?.length).toBeLessThanOrEqual(2);

      const resent = await resendUnanswered(base, fleet);
      console.log(`PostgreSQL restart: ${countOf(fleet, 503)} answers were 503; ${resent} hand-outs lost with it and sent again`);
      expectEachCommandOnce(await tally(fleet));

      // The job engine came back too: an enrollment's follow-up job runs and queues the first inventory.
      const r = await devicePut(base, "checkin", enrolling!, { MessageType: "TokenUpdate", Topic: FLEET_TOPIC, UDID: enrolling!.udid, Token: Buffer.alloc(32, 7), PushMagic: "PM" });
      expect(r.status).toBe(200);
      await until(async () => {
        const { rows } = await pool().query<{ n: number }>(`SELECT count(*)::int AS n FROM commands WHERE device_id = $1`, [enrolling!.deviceId]);
        return rows[0]!.n === 2;
      }, 60_000, "the device-enrolled job");
    } finally {
      await server?.stop();
      await disconnect();
      cluster.destroy();
    }
  }, 600_000);
});
