import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import type { Actor } from "@/lib/audit";
import type { Job, Prisma } from "@/lib/db/generated/client";
import { sendJob } from "./queue";

// The `jobs` table: what an admin started, how far it got and how it ended. The work runs in
// pg-boss under the same kind; its data carries `jobId`, the row here.

export type { Job };

/** Progress is written at most this often (and at the end): a row update per item would cost more than the work. */
const FLUSH_MS = 500;

export interface Progress {
  readonly jobId: string;
  setTotal(total: number): Promise<void>;
  /** Counts items finished (`done`, failures included) and failed; written in batches. */
  add(done: number, failed?: number): Promise<void>;
}

/** Records a job and queues its work; the admin's request returns with the row. */
export async function startJob(kind: string, actor: Actor, params: Record<string, unknown>, data: object, total?: number | null): Promise<Job> {
  const job = await prisma().job.create({
    data: { kind, actorId: actor.id, actorLabel: actor.label, params: params as Prisma.InputJsonValue, total: total ?? null },
  });
  try {
    await sendJob(kind, { ...data, jobId: job.id });
  } catch (e) {
    await finish(job.id, { status: "FAILED", error: "errors.unexpected" });
    throw e;
  }
  return job;
}

/** The row of a run nobody started (a scheduled tick), so the jobs page shows it too. */
export async function scheduledJobRow(kind: string): Promise<Job> {
  return prisma().job.create({ data: { kind, actorLabel: "system" } });
}

async function finish(jobId: string, data: Prisma.JobUpdateManyMutationInput) {
  await prisma().job.updateMany({ where: { id: jobId }, data: { ...data, finishedAt: new Date() } });
}

/**
 * Runs a job's work under its row: RUNNING, progress as `work` reports it, then DONE with the
 * outcome it returns, or FAILED with the error (a UserError's i18n key, else "errors.unexpected").
 * A row that is not QUEUED any more (a run already happened) is left alone and nothing runs.
 */
export async function runJob<T extends Record<string, unknown> | void>(jobId: string, work: (p: Progress) => Promise<T>): Promise<T | undefined> {
  const { count } = await prisma().job.updateMany({ where: { id: jobId, status: "QUEUED" }, data: { status: "RUNNING", startedAt: new Date() } });
  if (!count) return undefined;
  let pendingDone = 0;
  let pendingFailed = 0;
  let last = Date.now();
  const flush = async () => {
    if (!pendingDone && !pendingFailed) return;
    const [d, f] = [pendingDone, pendingFailed];
    pendingDone = pendingFailed = 0;
    last = Date.now();
    await prisma().job.update({ where: { id: jobId }, data: { done: { increment: d }, failed: { increment: f } } });
  };
  const progress: Progress = {
    jobId,
    async setTotal(total) {
      await prisma().job.update({ where: { id: jobId }, data: { total } });
    },
    async add(done, failed = 0) {
      pendingDone += done;
      pendingFailed += failed;
      if (Date.now() - last >= FLUSH_MS) await flush();
    },
  };
  try {
    const outcome = await work(progress);
    await flush();
    await finish(jobId, { status: "DONE", ...(outcome && { outcome: outcome as Prisma.InputJsonValue }) });
    return outcome;
  } catch (e) {
    await flush().catch(() => {});
    if (!isUserError(e)) console.error(`[jobs] job ${jobId} failed:`, e);
    await finish(jobId, {
      status: "FAILED",
      error: isUserError(e) ? `errors.${e.code}` : "errors.unexpected",
      ...(isUserError(e) && { outcome: { params: e.params } }),
    });
    return undefined;
  }
}

/**
 * Rows whose run was lost (the instance died mid-run, or the work never got queued): RUNNING
 * for longer than any job may run, or QUEUED for a day. They end FAILED so the page stops
 * showing them as in progress. Returns how many.
 */
export async function failLostJobs(now = new Date(), maxRunMs = 5 * 3_600_000): Promise<number> {
  const { count } = await prisma().job.updateMany({
    where: {
      OR: [
        { status: "RUNNING", startedAt: { lt: new Date(now.getTime() - maxRunMs) } },
        { status: "QUEUED", createdAt: { lt: new Date(now.getTime() - 86_400_000) } },
      ],
    },
    data: { status: "FAILED", error: "errors.job.lost", finishedAt: now },
  });
  return count;
}

export async function getJob(id: string): Promise<Job | null> {
  return prisma().job.findUnique({ where: { id } });
}

export async function recentJobs(take = 50): Promise<Job[]> {
  return prisma().job.findMany({ orderBy: { createdAt: "desc" }, take });
}
