import pg from "pg";
import { prisma, type PrismaClient } from "@/lib/db/client";
import { markInactiveDevices } from "@/lib/devices/status";
import { COLLECTION_TICK_MS, runCollection } from "@/lib/devices/collection";
import { runExpiryNotices } from "@/lib/expiry";
import { DIRECTORY_TICK_MS, runScheduledSync } from "@/lib/directory/sync";
import { runInvitationReminders } from "@/lib/invitations/service";
import { resolvePublicUrl } from "@/lib/settings";
import { androidSyncJob } from "@/lib/android/job";

// Periodic jobs inside the server process. Every instance runs the same timers; a
// PostgreSQL session-level advisory lock per job, taken on a connection of its own, lets one
// instance run a job while the others skip that turn. Jobs must still be idempotent (a lost
// connection releases the lock), which the expiry notices are by their claim rows.

export interface Job {
  name: string;
  intervalMs: number;
  /** Delay before the first run; one interval when left out. */
  firstRunMs?: number;
  run: (now: Date) => Promise<void>;
}

export type RunOutcome = "ran" | "skipped" | "failed";

export interface SchedulerOptions {
  /** Database the advisory locks are taken on; DATABASE_URL at run time when left out. */
  connectionString?: string;
  /** Used once, to tell PostgreSQL from PGlite. */
  db?: PrismaClient;
  log?: Pick<Console, "error">;
}

export interface Scheduler {
  /** Runs a job now if no other scheduler (here or in another instance) is running it. */
  runOnce(job: Job, now?: Date): Promise<RunOutcome>;
  start(jobs: Iterable<Job>): void;
  stop(): Promise<void>;
}

const HOUR = 3_600_000;

interface State {
  jobs: Map<string, Job>;
  scheduler?: Scheduler;
  /** Jobs running in this process: the lock on PGlite, see `exclusive`. */
  running: Set<string>;
}

const g = globalThis as unknown as { __mamoriJobs?: State };
const state: State = (g.__mamoriJobs ??= { jobs: new Map(), running: new Set() });

export function registerJob(job: Job): void {
  if (!(job.intervalMs > 0)) throw new Error(`Job ${job.name}: intervalMs must be positive`);
  state.jobs.set(job.name, job);
  state.scheduler?.start([job]);
}

export function createScheduler(opts: SchedulerOptions = {}): Scheduler {
  const log = opts.log ?? console;
  const timers = new Map<string, NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  let embedded: Promise<boolean> | undefined;
  let stopped = false;

  // PGlite serves every connection in one session, where advisory locks are re-entrant and
  // exclude nothing; it also allows one process only. So there the process-wide set is the
  // lock, and no second connection is opened (PGlite interleaves concurrent connections).
  const isEmbedded = () =>
    (embedded ??= (opts.db ?? prisma())
      .$queryRaw<{ v: string }[]>`SELECT version() AS v`
      .then((r) => /PGlite/i.test(r[0]?.v ?? ""))
      .catch((e) => {
        embedded = undefined;
        throw e;
      }));

  async function exclusive(name: string, body: () => Promise<void>): Promise<boolean> {
    if (await isEmbedded()) {
      if (state.running.has(name)) return false;
      state.running.add(name);
      try {
        await body();
      } finally {
        state.running.delete(name);
      }
      return true;
    }
    const client = new pg.Client({ connectionString: opts.connectionString ?? process.env.DATABASE_URL, connectionTimeoutMillis: 10_000 });
    client.on("error", (e) => log.error(`[jobs] lock connection for ${name} failed:`, e));
    await client.connect();
    try {
      const key = `mamori:${name}`;
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [key]);
      if (!rows[0]?.locked) return false;
      try {
        await body();
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [key]).catch(() => {});
      }
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function runOnce(job: Job, now = new Date()): Promise<RunOutcome> {
    const p = (async (): Promise<RunOutcome> => {
      try {
        return (await exclusive(job.name, () => job.run(now))) ? "ran" : "skipped";
      } catch (e) {
        log.error(`[jobs] ${job.name} failed:`, e);
        return "failed";
      }
    })();
    inFlight.add(p);
    try {
      return await p;
    } finally {
      inFlight.delete(p);
    }
  }

  return {
    runOnce,
    start(jobs) {
      if (stopped) return;
      for (const job of jobs) {
        if (timers.has(job.name)) continue;
        const tick = () => {
          if (!stopped) void runOnce(job);
        };
        const first = setTimeout(() => {
          tick();
          const every = setInterval(tick, job.intervalMs);
          every.unref();
          timers.set(job.name, every);
        }, job.firstRunMs ?? job.intervalMs);
        // Timers never keep the process alive: shutting down is not the scheduler's call.
        first.unref();
        timers.set(job.name, first);
      }
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Starts the process's scheduler with every registered job; a second call does nothing. */
export function startScheduler(opts: SchedulerOptions = {}): Scheduler {
  if (state.scheduler) return state.scheduler;
  if (!state.jobs.has("expiry-notices")) {
    registerJob({
      name: "expiry-notices",
      intervalMs: HOUR,
      firstRunMs: 10_000,
      run: async (now) => {
        await runExpiryNotices(now);
      },
    });
  }
  if (!state.jobs.has("inactive-devices")) {
    registerJob({ name: "inactive-devices", intervalMs: HOUR, firstRunMs: 20_000, run: async (now) => void (await markInactiveDevices(now)) });
  }
  if (!state.jobs.has("device-collection")) {
    registerJob({ name: "device-collection", intervalMs: COLLECTION_TICK_MS, firstRunMs: 30_000, run: async (now) => void (await runCollection(now)) });
  }
  if (!state.jobs.has("directory-sync")) {
    registerJob({ name: "directory-sync", intervalMs: DIRECTORY_TICK_MS, firstRunMs: 40_000, run: async (now) => void (await runScheduledSync(now)) });
  }
  if (!state.jobs.has("invitation-reminders")) {
    registerJob({ name: "invitation-reminders", intervalMs: HOUR, firstRunMs: 40_000, run: async (now) => void (await runInvitationReminders(await resolvePublicUrl(null), now)) });
  }
  if (!state.jobs.has(androidSyncJob.name)) registerJob(androidSyncJob);
  state.scheduler = createScheduler(opts);
  state.scheduler.start(state.jobs.values());
  return state.scheduler;
}

/** Stops the timers and waits for runs in progress; for tests and shutdown. */
export async function stopScheduler(): Promise<void> {
  const s = state.scheduler;
  state.scheduler = undefined;
  await s?.stop();
}

/** Registered jobs, by name. */
export function registeredJobs(): Job[] {
  return [...state.jobs.values()];
}
