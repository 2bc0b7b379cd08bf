import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "@/scripts/build-state";
import { pool as inParallel } from "@/scripts/bench/devices";
import { startServer, type Running } from "@/scripts/bench/processes";
import { disconnect, pool } from "@/lib/db/client";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import { freePort } from "@/tests/support/listen";
import { createTestDatabase } from "@/tests/support/test-database";
import { startBalancer, type Balancer } from "@/tests/support/balancer";
import { FLEET_SERVER_ENV, drain, idleOnce, makeFleet, tally } from "@/tests/support/device-fleet";

// Two Mamori instances (each `npm start`, one server process) on one PostgreSQL database, behind
// a round-robin load balancer: a device's requests alternate between them. Each command is
// handed out once, even to two requests of one device arriving at both at the same moment, and
// each scheduled job runs once per tick across both instances.

const DEVICES = 300;
const COMMANDS = 2;
const MINUTE = 60_000;

const tmp = mkdtempSync(path.join(tmpdir(), "mamori-scale-"));
beforeAll(() => ensureBuilt(), 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!process.env.TEST_DATABASE_URL)("two instances behind a load balancer", () => {
  it("serve devices through either, hand out each command once and run each scheduled job once per tick", async () => {
    const db = await createTestDatabase();
    await disconnect();
    process.env.DATABASE_URL = db.url;
    const servers: Running[] = [];
    let balancer: Balancer | undefined;
    try {
      const fleet = await makeFleet(DEVICES, COMMANDS);
      const ports = [await freePort(), await freePort()];
      servers.push(...(await Promise.all(ports.map((port, i) => startServer({
        ...FLEET_SERVER_ENV, DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1", MAMORI_WORKERS: "1", MAMORI_DATA_DIR: path.join(tmp, `instance-${i}`),
      })))));
      const bothUp = Date.now();
      balancer = await startBalancer(ports);
      const base = balancer.url;

      // Two requests of one device at the same moment, one straight to each instance: two different commands.
      const direct = ports.map((p) => `http://127.0.0.1:${p}`);
      const handed = await Promise.all(fleet.slice(0, DEVICES / 2).map((d) => Promise.all(direct.map((url) => idleOnce(url, d)))));
      for (const [a, b] of handed) {
        expect(a).not.toBeNull();
        expect(b).not.toBeNull();
        expect(b).not.toBe(a);
      }
      // Then every device answers what it holds and drains the rest, each request to the next instance.
      const deadline = Date.now() + 180_000;
      await inParallel(fleet, 50, async (d) => {
        const held = d.received.slice();
        if (held.length === 0) return drain(base, d, deadline);
        for (const u of held) await drain(base, d, deadline, u);
      });
      const t = await tally(fleet);
      expect(t.total).toBe(DEVICES * COMMANDS);
      expect(t.byStatus).toEqual({ ACKNOWLEDGED: DEVICES * COMMANDS });
      expect(t.handedTwice).toEqual([]);
      expect(t.neverReceived).toEqual([]);
      expect(t.answersNotOnce).toEqual([]);
      expect(t.inconsistent).toBe(0);
      expect(fleet.flatMap((d) => d.statuses).filter((s) => s !== 200)).toEqual([]);
      for (const n of balancer.served) expect(n).toBeGreaterThan(DEVICES); // both instances served devices

      // Scheduled jobs: both instances evaluate the cron schedules; each tick's job is made and run once.
      const firstTick = Math.ceil(bothUp / MINUTE) * MINUTE;
      const ticks = 2;
      // Each tick is given 55 s: pg-boss evaluates schedules every 30 s, inserts within 5 s, a worker polls every 2 s.
      await sleep(Math.max(0, firstTick + (ticks - 1) * MINUTE + 55_000 - Date.now()));
      const { rows } = await pool().query<{ name: string; minute: Date; runs: number; completed: number }>(
        `SELECT name, date_trunc('minute', created_on) AS minute, count(*)::int AS runs, count(*) FILTER (WHERE state = 'completed')::int AS completed
         FROM (SELECT name, created_on, state::text FROM pgboss.job UNION ALL SELECT name, created_on, state::text FROM pgboss.archive) j
         WHERE name = ANY($1) AND created_on >= $2 AND created_on < $3
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [[JOB_KINDS.commandSweep, JOB_KINDS.directorySync], new Date(firstTick), new Date(firstTick + ticks * MINUTE)],
      );
      const expected = [JOB_KINDS.commandSweep, JOB_KINDS.directorySync].sort().flatMap((name) =>
        Array.from({ length: ticks }, (_, k) => ({ name, minute: new Date(firstTick + k * MINUTE), runs: 1, completed: 1 })));
      expect(rows).toEqual(expected);
      // Both instances were still serving then.
      for (const s of servers) expect(s.child.exitCode).toBeNull();
    } finally {
      await balancer?.stop();
      await Promise.all(servers.map((s) => s.stop()));
      await disconnect();
      await db.drop();
    }
  }, 600_000);
});
