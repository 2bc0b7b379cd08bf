import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { startJob, type Job } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";

/**
 * "Sync devices now" on the admin page: queues the android-sync job (the same queue as the
 * scheduled runs, one at a time) with a progress row. Returns at once.
 */
export async function startAndroidSync(actor: Actor, ctx: { ip: string | null; userAgent: string | null }): Promise<Job> {
  if (!(await prisma().androidEnterprise.count({ where: { id: 1 } }))) throw new UserError("android.notConfigured");
  const job = await startJob(JOB_KINDS.androidSync, actor, {}, { actor, ctx });
  await audit({ actor, action: "android.sync", target: { type: "android" }, details: { jobId: job.id }, ...ctx });
  return job;
}
