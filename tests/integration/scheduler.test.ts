import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { disconnect } from "@/lib/db/client";
import { PrismaClient } from "@/lib/db/generated/client";
import { createScheduler, registerJob, registeredJobs, startScheduler, stopScheduler, type Job, type Scheduler } from "@/lib/jobs/scheduler";

const db = useOwnDatabase();

// Two schedulers stand for two instances. On PostgreSQL each has its own PrismaClient and
// takes the advisory lock on its own connection; PGlite allows one process and serves all
// connections in one session, so there the scheduler's in-process guard is the lock.
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const clients: PrismaClient[] = [];
const quiet = { error: () => {} };

afterAll(async () => {
  await Promise.all(clients.map((c) => c.$disconnect()));
  await stopScheduler();
});

function instance(log: Pick<Console, "error"> = quiet): Scheduler {
  if (!onPostgres) return createScheduler({ log });
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 2 }) });
  clients.push(client);
  return createScheduler({ db: client, connectionString: db.url, log });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const jobName = () => `test-job-${++n}-${Date.now()}`;

async function waitFor(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(10);
  }
}

describe("two instances ticking the same job", () => {
  it("run it once per tick: the other skips", async () => {
    const a = instance();
    const b = instance();
    let runs = 0;
    let gate: () => void = () => {};
    const job: Job = {
      name: jobName(),
      intervalMs: 60_000,
      run: async () => {
        runs++;
        // Held until the other instance has given up on this tick, so both truly overlap.
        await new Promise<void>((r) => (gate = r));
      },
    };
    for (let tick = 1; tick <= 3; tick++) {
      const now = new Date();
      const ra = a.runOnce(job, now);
      const rb = b.runOnce(job, now);
      const first = await Promise.race([ra, rb, sleep(5000).then(() => "timeout")]);
      expect(first).toBe("skipped");
      gate();
      expect([await ra, await rb].sort()).toEqual(["ran", "skipped"]);
      expect(runs).toBe(tick);
    }
  });

  it("never overlap while both run on timers", async () => {
    const a = instance();
    const b = instance();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const job: Job = {
      name: jobName(),
      intervalMs: 40,
      firstRunMs: 0,
      run: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(30);
        running--;
        runs++;
      },
    };
    a.start([job]);
    b.start([job]);
    await waitFor(() => runs >= 5);
    await Promise.all([a.stop(), b.stop()]);
    expect(maxRunning).toBe(1);
    const after = runs;
    await sleep(150);
    expect(runs).toBe(after);
  });

  it.skipIf(!onPostgres)("skips while another connection holds the job's advisory lock", async () => {
    const a = instance();
    const job: Job = { name: jobName(), intervalMs: 60_000, run: async () => {} };
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock(hashtext($1))", [`mamori:${job.name}`]);
      expect(await a.runOnce(job)).toBe("skipped");
      await other.query("SELECT pg_advisory_unlock(hashtext($1))", [`mamori:${job.name}`]);
      expect(await a.runOnce(job)).toBe("ran");
      // Released after the run: the other connection can take it again at once.
      const { rows } = await other.query("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [`mamori:${job.name}`]);
      expect(rows[0].locked).toBe(true);
    } finally {
      await other.end();
    }
  });
});

describe("failures", () => {
  it("a throwing job is logged, releases its lock and keeps its later ticks", async () => {
    const errors: unknown[][] = [];
    const a = instance({ error: (...args: unknown[]) => errors.push(args) });
    const b = instance();
    let calls = 0;
    const job: Job = {
      name: jobName(),
      intervalMs: 30,
      firstRunMs: 0,
      run: async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
    };
    expect(await a.runOnce(job)).toBe("failed");
    expect(await b.runOnce(job)).toBe("failed");
    a.start([job]);
    await waitFor(() => calls >= 5);
    await a.stop();
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(String(errors[0]![0])).toContain(job.name);
    expect((errors[0]![1] as Error).message).toBe("boom 1");
  });

  it.skipIf(!onPostgres)("an unreachable lock database is a failed run, not a crash", async () => {
    const errors: unknown[] = [];
    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 1 }) });
    clients.push(client);
    const a = createScheduler({ db: client, connectionString: "postgresql://postgres@127.0.0.1:1/none", log: { error: (m: unknown) => errors.push(m) } });
    expect(await a.runOnce({ name: jobName(), intervalMs: 1000, run: async () => {} })).toBe("failed");
    expect(errors).toHaveLength(1);
  });
});

describe("the process scheduler", () => {
  it("starts once, with the expiry job, and runs jobs registered later", async () => {
    const s1 = startScheduler({ log: quiet });
    const s2 = startScheduler();
    expect(s2).toBe(s1);
    expect(registeredJobs().find((j) => j.name === "expiry-notices")).toMatchObject({ intervalMs: 3_600_000, firstRunMs: 10_000 });
    let runs = 0;
    registerJob({ name: jobName(), intervalMs: 20, firstRunMs: 0, run: async () => void runs++ });
    await waitFor(() => runs >= 2);
    await stopScheduler();
    const after = runs;
    await sleep(100);
    expect(runs).toBe(after);
    // A new start after a stop is a fresh scheduler.
    const s3 = startScheduler({ log: quiet });
    expect(s3).not.toBe(s1);
    await stopScheduler();
  });
});
