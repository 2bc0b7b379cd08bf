import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { createEngine, defineJob, sendJob, startJobs, stopJobs, type Engine } from "@/lib/jobs/queue";
import { failLostJobs, runJob, startJob } from "@/lib/jobs/progress";
import { startEmbedded } from "@/lib/db/embedded";
import { createTestDatabase } from "../support/test-database";

// The job engine (pg-boss) on the test database: PostgreSQL when TEST_DATABASE_URL is set,
// else the embedded PGlite. Two engines on one database stand for two instances.

const db = useOwnDatabase();
const engines: Engine[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await stopJobs();
});

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(50);
  }
}

// Fast cron evaluation: a tick is looked at every second instead of every 30.
const tuning = { cronMonitorIntervalSeconds: 1, cronWorkerIntervalSeconds: 1 };
const instance = async () => {
  const e = await createEngine({ connectionString: db.url, pollingIntervalSeconds: 0.5, tuning });
  engines.push(e);
  return e;
};

const sent: string[] = [];
const ran: string[] = [];
const ticks: number[] = [];
defineJob<{ n: string }>("test-once", async ({ n }) => {
  ran.push(n);
  await sleep(5);
}, { concurrency: 3 });
defineJob("test-tick", async () => void ticks.push(Date.now()), { cron: "* * * * *", policy: "stately" });
defineJob<{ jobId: string; items: number }>("test-progress", ({ jobId, items }) =>
  runJob(jobId, async (p) => {
    for (let i = 0; i < items; i++) await p.add(1, i % 10 === 0 ? 1 : 0);
    return { sent: items };
  }));
defineJob<{ jobId: string }>("test-fails", ({ jobId }) => runJob(jobId, async () => {
  throw new Error("boom");
}));

describe("two instances on one database", () => {
  it("start together on a database pg-boss has never seen (its queue creation can deadlock: retried)", async () => {
    const fresh = await createTestDatabase();
    try {
      for (let round = 0; round < 3; round++) {
        const c = new pg.Client({ connectionString: fresh.url });
        await c.connect();
        await c.query("DROP SCHEMA IF EXISTS pgboss CASCADE");
        await c.end();
        const both = await Promise.all([1, 2, 3].map(() => createEngine({ connectionString: fresh.url, schedule: false, work: false })));
        await Promise.all(both.map((e) => e.stop()));
      }
    } finally {
      await fresh.drop();
    }
  }, 120_000);

  it("run each sent job exactly once", async () => {
    const [a] = [await instance(), await instance()];
    for (let i = 0; i < 40; i++) {
      const n = String(i);
      sent.push(n);
      await a!.boss.send("test-once", { n });
    }
    await waitFor(() => ran.length >= 40);
    await sleep(1500); // a second run would show by now
    expect([...ran].sort()).toEqual([...sent].sort());
  });

  it("run a cron schedule once per tick, not once per instance", async () => {
    await waitFor(() => ticks.length >= 1);
    await sleep(4000);
    // A tick run by both instances would run twice within a second or so (each polls every
    // 0.5 s). Consecutive ticks are normally a minute apart, but a tick caught up at start-up
    // can come seconds before the next minute's (seen in CI: 6 s), so only the near-doubles count.
    const sorted = [...ticks].sort((x, y) => x - y);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThan(3_000);
    const { rows } = await queryPg("SELECT count(*)::int AS n FROM pgboss.schedule WHERE name = 'test-tick'");
    expect(rows[0].n).toBe(1);
  });
});

async function queryPg(sql: string) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

describe("progress", () => {
  it("counts done and failed on the job's row and records the outcome", async () => {
    await startJobs({ pollingIntervalSeconds: 0.5, tuning });
    const job = await startJob("test-progress", { id: null, label: "admin@example.jp" }, { what: "test" }, { items: 95 }, 95);
    expect(job).toMatchObject({ status: "QUEUED", total: 95, done: 0 });
    await waitFor(async () => (await prisma().job.findUniqueOrThrow({ where: { id: job.id } })).status === "DONE");
    const row = await prisma().job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ kind: "test-progress", total: 95, done: 95, failed: 10, outcome: { sent: 95 }, actorLabel: "admin@example.jp", params: { what: "test" } });
    expect(row.startedAt).toBeInstanceOf(Date);
    expect(row.finishedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt!.getTime());
  });

  it("a throwing job is FAILED with a sentence's key, and not run again", async () => {
    const job = await startJob("test-fails", { id: null, label: "admin@example.jp" }, {}, {});
    await waitFor(async () => (await prisma().job.findUniqueOrThrow({ where: { id: job.id } })).status === "FAILED");
    expect(await prisma().job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ error: "errors.unexpected" });
    // The same work sent again finds its row finished and does nothing.
    await sendJob("test-progress", { jobId: job.id, items: 3 });
    await sleep(1500);
    expect(await prisma().job.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ status: "FAILED", done: 0 });
  });
});

// CI's database is PostgreSQL: the embedded PGlite (one statement at a time, one session for
// every connection) gets its own check here, whatever TEST_DATABASE_URL says.
describe("on the embedded PGlite", () => {
  it("two engines run each job once, and a cron tick once", async () => {
    const lite = await startEmbedded(null);
    const local: Engine[] = [];
    try {
      const seen: string[] = [];
      const liteTicks: number[] = [];
      defineJob<{ n: string }>("test-lite", async ({ n }) => void seen.push(n), { concurrency: 2 });
      defineJob("test-lite-tick", async () => void liteTicks.push(Date.now()), { cron: "* * * * *", policy: "stately" });
      for (let i = 0; i < 2; i++) local.push(await createEngine({ connectionString: lite.url, pollingIntervalSeconds: 0.5, tuning }));
      const [{ rows }] = [await local[0]!.boss.getDb().executeSql("SELECT version() AS v", [])];
      expect(rows[0].v).toMatch(/PGlite/);
      for (let i = 0; i < 20; i++) await local[i % 2]!.boss.send("test-lite", { n: String(i) });
      await waitFor(() => seen.length >= 20);
      await waitFor(() => liteTicks.length > 0);
      await sleep(2500);
      expect(seen.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const minutes = liteTicks.map((t) => Math.floor(t / 60_000));
      expect(new Set(minutes).size).toBe(minutes.length);
    } finally {
      await Promise.all(local.map((e) => e.stop()));
      await lite.stop();
    }
  });
});

describe("lost jobs", () => {
  it("end FAILED when running far too long or never picked up, and nothing else changes", async () => {
    const now = new Date();
    const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);
    const base = { kind: "test-progress", actorLabel: "admin@example.jp" };
    const [stuck, running, old, fresh, done] = await Promise.all([
      prisma().job.create({ data: { ...base, status: "RUNNING", startedAt: hours(6) } }),
      prisma().job.create({ data: { ...base, status: "RUNNING", startedAt: hours(1) } }),
      prisma().job.create({ data: { ...base, status: "QUEUED", createdAt: hours(25) } }),
      prisma().job.create({ data: { ...base, status: "QUEUED", createdAt: hours(2) } }),
      prisma().job.create({ data: { ...base, status: "DONE", startedAt: hours(30), finishedAt: hours(29) } }),
    ]);
    expect(await failLostJobs(now)).toBe(2);
    const status = async (j: { id: string }) => (await prisma().job.findUniqueOrThrow({ where: { id: j.id } })).status;
    expect(await Promise.all([stuck, running, old, fresh, done].map(status))).toEqual(["FAILED", "RUNNING", "FAILED", "QUEUED", "DONE"]);
    expect(await prisma().job.findUniqueOrThrow({ where: { id: stuck.id } })).toMatchObject({ error: "errors.job.lost" });
  });
});

describe("the periodic jobs", () => {
  it("are defined with cron schedules by lib/jobs/handlers", async () => {
    const { definedJobs } = await import("@/lib/jobs/queue");
    await import("@/lib/jobs/handlers");
    const crons = Object.fromEntries([...definedJobs()].filter(([, d]) => d.cron).map(([k, d]) => [k, d.cron]));
    expect(crons).toEqual({
      "expiry-notices": "0 * * * *",
      "inactive-devices": "20 * * * *",
      "device-collection": "*/5 * * * *",
      "directory-sync": "* * * * *",
      "invitation-reminders": "40 * * * *",
      "android-sync": "*/10 * * * *",
      "lost-jobs": "50 * * * *",
      "command-sweep": "* * * * *",
      retention: "30 18 * * *",
      "test-tick": "* * * * *",
      "test-lite-tick": "* * * * *",
    });
  });
});
