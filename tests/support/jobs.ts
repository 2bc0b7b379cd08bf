import "@/lib/jobs/handlers";
import { prisma } from "@/lib/db/client";
import { startJobs } from "@/lib/jobs/queue";
import type { Job } from "@/lib/db/generated/client";

/** Starts this test process's job engine with every handler, without cron ticks (tests run those by hand). */
export async function startTestJobs(): Promise<void> {
  await startJobs({ schedule: false, pollingIntervalSeconds: 0.5 });
}

/** Waits until the job's row is DONE or FAILED and returns it. */
export async function finishedJob(job: { id: string } | string, ms = 30_000): Promise<Job> {
  const id = typeof job === "string" ? job : job.id;
  const end = Date.now() + ms;
  for (;;) {
    const row = await prisma().job.findUniqueOrThrow({ where: { id } });
    if (row.status === "DONE" || row.status === "FAILED") return row;
    if (Date.now() > end) throw new Error(`job ${id} still ${row.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until pg-boss completed the device-enrolled job (lib/mdm/events) of this device. */
export async function enrolledJobDone(deviceId: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const rows = await prisma().$queryRaw<{ state: string }[]>`
      SELECT state::text FROM pgboss.job WHERE name = 'device-enrolled' AND data->>'deviceId' = ${deviceId} ORDER BY created_on DESC LIMIT 1`;
    if (rows[0]?.state === "completed") return;
    if (rows[0]?.state === "failed") throw new Error(`device-enrolled failed for ${deviceId}`);
    if (Date.now() > end) throw new Error(`device-enrolled still ${rows[0]?.state ?? "not sent"} for ${deviceId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
