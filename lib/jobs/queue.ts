import pg from "pg";
import PgBoss from "pg-boss";

// The job engine: pg-boss on the application's PostgreSQL (its own `pgboss` schema and a
// small pool of its own). Jobs are rows fetched with FOR UPDATE SKIP LOCKED, so one instance
// runs each; cron schedules are evaluated by one instance per minute and sent once. Workers
// poll (no LISTEN/NOTIFY), which is why it also runs on the embedded PGlite.
// This module knows no domain: lib/jobs/handlers.ts defines the jobs, instrumentation.ts
// starts the engine, and anyone (lib/mdm included) may sendJob.

export interface JobDefinition<D extends object = object> {
  handler: (data: D, job: { id: string; kind: string }) => Promise<unknown>;
  /** Cron (UTC) for jobs that run by themselves; one run per tick across all instances. */
  cron?: string;
  /**
   * "stately": at most one waiting and one running (ticks that find one waiting are dropped);
   * "singleton": one running at a time, the others wait; "standard": no limit.
   */
  policy?: "standard" | "singleton" | "stately";
  /** Jobs of this kind one instance runs at once. */
  concurrency?: number;
  /** A run taking longer is considered lost and fails. */
  expireInSeconds?: number;
}

export interface EngineOptions {
  /** Database; DATABASE_URL when left out. */
  connectionString?: string;
  /** Connections of the engine's own pool. */
  max?: number;
  /** How often an idle worker asks for work. */
  pollingIntervalSeconds?: number;
  /** Evaluate cron schedules (off in instances that should only send). */
  schedule?: boolean;
  /** Run workers for the defined jobs. */
  work?: boolean;
  /** pg-boss settings on top of ours (tests shorten its cron intervals). */
  tuning?: Partial<PgBoss.ConstructorOptions>;
}

interface State {
  defs: Map<string, JobDefinition<never>>;
  boss?: PgBoss;
  starting?: Promise<PgBoss>;
  queues: Set<string>;
  /** Worker ids per kind, to wake them when this instance sends. */
  workers: Map<string, string[]>;
}

const g = globalThis as unknown as { __mamoriJobEngine?: State };
const state: State = (g.__mamoriJobEngine ??= { defs: new Map(), queues: new Set(), workers: new Map() });

/** Registers the handler of a kind; call before startJobs (a later definition replaces it). */
export function defineJob<D extends object>(kind: string, handler: JobDefinition<D>["handler"], opts: Omit<JobDefinition<D>, "handler"> = {}): void {
  state.defs.set(kind, { ...opts, handler } as JobDefinition<never>);
}

/** Kinds defined in this process. */
export function definedJobs(): Map<string, Readonly<JobDefinition<never>>> {
  return new Map(state.defs);
}

/** PGlite (the embedded database) says so in version(); it runs one statement at a time. */
async function isPglite(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    const { rows } = await c.query<{ v: string }>("SELECT version() AS v");
    return /PGlite/i.test(rows[0]?.v ?? "");
  } finally {
    await c.end().catch(() => {});
  }
}

export interface Engine {
  boss: PgBoss;
  /** Worker ids per kind. */
  workers: Map<string, string[]>;
  stop(): Promise<void>;
}

/** An engine not kept in this process's state: for tests that stand for a second instance. */
export async function createEngine(opts: EngineOptions = {}): Promise<Engine> {
  const url = opts.connectionString ?? process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set");
  const embedded = await isPglite(url);
  const boss = new PgBoss({
    connectionString: url,
    // PGlite runs one statement at a time whatever the pool: one connection is all it can use.
    max: opts.max ?? (embedded ? 1 : 3),
    application_name: "mamori-jobs",
    schedule: opts.schedule ?? true,
    // Finished jobs are kept a week, then archived and deleted by pg-boss's maintenance.
    deleteAfterDays: 7,
    ...opts.tuning,
  });
  boss.on("error", (e) => console.error("[jobs]", e));
  await boss.start();
  const workers = new Map<string, string[]>();
  for (const [kind, def] of state.defs) {
    await ensureQueue(boss, kind, def);
    if (def.cron && opts.schedule !== false) await boss.schedule(kind, def.cron, {}, { tz: "UTC" });
    if (opts.work === false) continue;
    const ids: string[] = [];
    for (let i = 0; i < (def.concurrency ?? 1); i++) {
      ids.push(
        await boss.work<object>(kind, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? (embedded ? 5 : 2) }, async ([job]) => {
          if (job) await (def.handler as JobDefinition<object>["handler"])(job.data ?? {}, { id: job.id, kind });
        }),
      );
    }
    workers.set(kind, ids);
  }
  return { boss, workers, stop: () => boss.stop({ graceful: true, wait: true, timeout: 30_000 }) };
}

async function ensureQueue(boss: PgBoss, kind: string, def?: Omit<JobDefinition<never>, "handler">) {
  const opts = {
    name: kind,
    policy: def?.policy ?? "standard",
    // A failed run is not tried again by the engine: user-started jobs report the failure, ticks come back.
    retryLimit: 0,
    expireInSeconds: def?.expireInSeconds ?? 15 * 60,
  } as const;
  // Instances starting together on a fresh database create the same queues at once, and
  // pg-boss's create can deadlock with the other's (seen in CI: 40P01): try again shortly.
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(kind, opts);
      await boss.updateQueue(kind, opts);
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (attempt >= 5 || (code !== "40P01" && code !== "40001")) throw e;
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
    }
  }
}

/** Starts this process's engine (once): queues, schedules and workers of every defined job. */
export function startJobs(opts: EngineOptions = {}): Promise<PgBoss> {
  if (state.boss) return Promise.resolve(state.boss);
  state.starting ??= (async () => {
    const engine = await createEngine(opts);
    state.boss = engine.boss;
    state.workers = engine.workers;
    for (const kind of state.defs.keys()) state.queues.add(kind);
    return engine.boss;
  })().catch((e) => {
    state.starting = undefined;
    throw e;
  });
  return state.starting;
}

/** Stops this process's engine, letting running jobs finish; for tests and shutdown. */
export async function stopJobs(): Promise<void> {
  const boss = state.boss ?? (await state.starting?.catch(() => undefined));
  state.boss = undefined;
  state.starting = undefined;
  state.queues.clear();
  state.workers.clear();
  await boss?.stop({ graceful: true, wait: true, timeout: 30_000 });
}

/**
 * Queues a job of `kind` with `data` (JSON); starts the engine on first use. Returns pg-boss's
 * job id, or null when the queue's policy refused it (one already waiting).
 * Never call it inside a database transaction: on PGlite the transaction holds the only session.
 */
export async function sendJob(kind: string, data: object, opts: PgBoss.SendOptions = {}): Promise<string | null> {
  const boss = await startJobs();
  if (!state.queues.has(kind)) {
    await ensureQueue(boss, kind, state.defs.get(kind));
    state.queues.add(kind);
  }
  const id = await boss.send(kind, data, opts);
  // A worker here picks it up now rather than at its next poll.
  for (const w of state.workers.get(kind) ?? []) boss.notifyWorker(w);
  return id;
}
