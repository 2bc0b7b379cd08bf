import { defineJob } from "./queue";
import { JOB_KINDS } from "./kinds";
import { failLostJobs, runJob, scheduledJobRow } from "./progress";
import { activeIdentity } from "@/lib/push-certificates/service";
import { pushDevices, pushableDeviceIds } from "@/lib/apns/push-service";
import { markInactiveDevices } from "@/lib/devices/status";
import { runCollection } from "@/lib/devices/collection";
import { runExpiryNotices } from "@/lib/expiry";
import { runScheduledSync, syncDirectory } from "@/lib/directory/sync";
import { inviteUsers, runInvitationReminders } from "@/lib/invitations/service";
import { syncConfiguration } from "@/lib/configurations/service";
import { syncAndroidDevices } from "@/lib/android/sync";
import { carryOutAndroidCommand } from "@/lib/android/commands";
import { runAndroidBulk } from "@/lib/android/bulk";
import { configuredPublicUrl } from "@/lib/settings";
import { httpAllowed, publicUrlProblem } from "@/lib/setup-checklist";
import { afterEnroll } from "@/lib/enrollment/after-enroll";
import { rolloutWebClip, type WebClipAction } from "@/lib/portal/web-clip";
import { sweepCommands } from "@/lib/mdm/storage";
import { pruneExpired } from "@/lib/retention";
import type { DeviceEnrolled } from "@/lib/mdm/events";
import type { Actor } from "@/lib/audit";

// Every job Mamori runs, by kind. Importing this module defines them; instrumentation.ts then
// starts the engine. Scheduled kinds run once per tick across all instances; the others are
// started by an admin through startJob (lib/jobs/progress) and report progress on their row.

/** What a user-started job carries besides its own data: who started it, from where. */
interface Started {
  jobId: string;
  actor: Actor;
  ctx: { ip: string | null; userAgent: string | null };
}

/** Devices pushed per round: progress is written between rounds. */
const PUSH_BATCH = 500;

const HOUR_S = 3600;

// Pushes to the given devices, or (no deviceIds) to every device of the active certificate's topic.
defineJob<{ jobId: string; deviceIds?: string[] }>(JOB_KINDS.push, ({ jobId, deviceIds }) =>
  runJob(jobId, async (p) => {
    const ids = deviceIds ?? (await pushableDeviceIds());
    if (!deviceIds) await p.setTotal(ids.length);
    const sum = { delivered: 0, failed: 0, skipped: 0 };
    for (let i = 0; i < ids.length; i += PUSH_BATCH) {
      // Apple refused the certificate: every further push would fail the same way.
      if (!(await activeIdentity())) {
        const rest = ids.length - i;
        sum.skipped += rest;
        await p.add(rest);
        return { ...sum, stoppedBy: "noCertificate" };
      }
      const batch = ids.slice(i, i + PUSH_BATCH);
      const r = await pushDevices(batch);
      sum.delivered += r.delivered;
      sum.failed += r.failed;
      sum.skipped += r.skipped;
      await p.add(batch.length, r.failed);
    }
    return sum;
  }), { policy: "standard", concurrency: 2, expireInSeconds: 4 * HOUR_S });

defineJob<Started & { userIds: string[]; pin?: boolean; baseUrl: string }>(JOB_KINDS.invitations, ({ jobId, userIds, pin, baseUrl, actor, ctx }) =>
  runJob(jobId, async (p) => ({ sent: await inviteUsers(userIds, { pin, baseUrl, progress: p }, actor, ctx) })),
  { concurrency: 2, expireInSeconds: 4 * HOUR_S });

defineJob<Started & { configurationId: string }>(JOB_KINDS.configurationSync, ({ jobId, configurationId, actor, ctx }) =>
  runJob(jobId, (p) => syncConfiguration(configurationId, actor, ctx, p)),
  // One configuration sync at a time: two of the same configuration would both install.
  { policy: "singleton", expireInSeconds: 4 * HOUR_S });

defineJob<Started & { action: WebClipAction }>(JOB_KINDS.webClip, ({ jobId, action, actor, ctx }) =>
  runJob(jobId, (p) => rolloutWebClip(action, actor, ctx ?? { ip: null, userAgent: null }, p)),
  // One rollout at a time: an install and a remove racing would leave either.
  { policy: "singleton", expireInSeconds: 4 * HOUR_S });

// Ticks (no jobId) sync when one interval has passed; "Import now" (jobId) syncs at once.
defineJob<Partial<Started>>(JOB_KINDS.directorySync, async ({ jobId, actor, ctx }) => {
  if (!jobId || !actor) return void (await runScheduledSync(new Date()));
  await runJob(jobId, async () => ({ ...(await syncDirectory(actor, ctx ?? { ip: null, userAgent: null }, "manual")) }));
}, { cron: "* * * * *", policy: "singleton", expireInSeconds: 4 * HOUR_S });

// One turn of an Android command: issue it, or look at its operation; it schedules its next turn.
defineJob<{ commandId: string; step?: number }>(JOB_KINDS.androidCommand, ({ commandId, step }) => carryOutAndroidCommand(commandId, step ?? 0), { concurrency: 4, expireInSeconds: 300 });

defineJob<{ jobId: string; commandIds?: string[]; deviceIds?: string[] }>(JOB_KINDS.androidBulk, ({ jobId, commandIds, deviceIds }) =>
  runJob(jobId, (p) => runAndroidBulk({ commandIds, deviceIds }, p)), { concurrency: 1, expireInSeconds: 4 * HOUR_S });

defineJob<Partial<Started>>(JOB_KINDS.androidSync, async ({ jobId }) => {
  if (!jobId) return void (await syncAndroidDevices(new Date()));
  await runJob(jobId, async () => ({ ...(await syncAndroidDevices(new Date())) }));
}, { cron: "*/10 * * * *", policy: "singleton", expireInSeconds: HOUR_S });

// What follows an enrollment, after the device's TokenUpdate was answered (lib/mdm/events).
defineJob<DeviceEnrolled>(JOB_KINDS.deviceEnrolled, (e) => afterEnroll(e), { concurrency: 4, expireInSeconds: 15 * 60 });
// Expired and given-up commands are marked here, so the device path never spends a statement on them.
defineJob(JOB_KINDS.commandSweep, async () => void (await sweepCommands(new Date())), { cron: "* * * * *", policy: "stately" });
defineJob(JOB_KINDS.lostJobs, async () => void (await failLostJobs()), { cron: "50 * * * *", policy: "stately" });
defineJob(JOB_KINDS.expiryNotices, async () => void (await runExpiryNotices(new Date())), { cron: "0 * * * *", policy: "stately" });
defineJob(JOB_KINDS.inactiveDevices, async () => void (await markInactiveDevices(new Date())), { cron: "20 * * * *", policy: "stately" });
defineJob(JOB_KINDS.collection, async () => void (await runCollection(new Date())), { cron: "*/5 * * * *", policy: "stately" });
// A public address no phone could follow (http, loopback) is no address for a reminder.
defineJob(JOB_KINDS.invitationReminders, async () => {
  const url = await configuredPublicUrl();
  await runInvitationReminders(url && (!publicUrlProblem(url) || httpAllowed()) ? url : null, new Date());
}, { cron: "40 * * * *", policy: "stately" });
// Nightly (03:30 in Japan): deletes what the retention setting no longer keeps, progress on its jobs row.
defineJob(JOB_KINDS.retention, async () => {
  const row = await scheduledJobRow(JOB_KINDS.retention);
  await runJob(row.id, (p) => pruneExpired(new Date(), p));
}, { cron: "30 18 * * *", policy: "stately", expireInSeconds: 4 * HOUR_S });
