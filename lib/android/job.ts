import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import { createScheduler, type Job, type RunOutcome } from "@/lib/jobs/scheduler";
import { ANDROID_SYNC_MS, syncAndroidDevices } from "./sync";

/** The scheduler job: every instance has it, the advisory lock lets one run at a time. */
export const androidSyncJob: Job = {
  name: "android-sync",
  intervalMs: ANDROID_SYNC_MS,
  firstRunMs: 50_000,
  run: async (now) => void (await syncAndroidDevices(now)),
};

/**
 * "Sync now" on the admin page: the same job under the same lock (so it never overlaps a
 * scheduled run); "skipped" when one is already running.
 */
export async function syncAndroidNow(actor: Actor, ctx: { ip: string | null; userAgent: string | null }, connectionString?: string): Promise<{ outcome: RunOutcome; result: string | null }> {
  if (!(await prisma().androidEnterprise.count({ where: { id: 1 } }))) throw new UserError("android.notConfigured");
  // The same job, keeping its error so the admin reads Google's reason, not just "failed".
  let error: unknown;
  const job: Job = { ...androidSyncJob, run: (now) => androidSyncJob.run(now).catch((e) => { error = e; throw e; }) };
  const outcome = await createScheduler({ connectionString, log: { error: () => {} } }).runOnce(job);
  const row = await prisma().androidEnterprise.findUnique({ where: { id: 1 }, select: { lastSyncResult: true } });
  const result = row?.lastSyncResult ?? null;
  await audit({ actor, action: "android.sync", result: outcome === "failed" ? "FAILURE" : "SUCCESS", target: { type: "android" }, details: { outcome, result }, ...ctx });
  if (isUserError(error)) throw error;
  return { outcome, result };
}
