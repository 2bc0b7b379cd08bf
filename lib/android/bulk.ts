import { prisma } from "@/lib/db/client";
import type { Actor } from "@/lib/audit";
import type { Refusal } from "@/lib/mdm/enqueue";
import { DEFAULT_EXPIRY_HOURS } from "@/lib/mdm/queue";
import { startJob, type Job, type Progress } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import { ACTION_TABLE, PLATFORM_LABEL, unavailable, type DeviceAction } from "@/lib/devices/action-table";
import { carryOutAndroidCommand, type AndroidCommandParams, type AndroidCommandType } from "./commands";
import { refreshAndroidDevice } from "./sync";
import { isUserError } from "@/lib/errors";

// A bulk action's Android devices: the action table decides per device (management mode,
// ownership, version), the commands are inserted in one statement, and one android-bulk job
// issues them one after another with visible progress (each then follows its operation as a
// single command does). Refresh reads each device from Google in the same job.

type Ctx = { ip: string | null; userAgent: string | null };
const SAMPLES = 10;

export interface AndroidBulkResult {
  queued: number;
  refused: Refusal[];
  job: Job | null;
}

function commandOf(action: DeviceAction, keepResetProtection: boolean): { type: AndroidCommandType; params: AndroidCommandParams } | null {
  const call = ACTION_TABLE[action].android?.call;
  if (!call || call === "GET") return null;
  if (call === "DELETE") return action === "wipe" ? { type: call, params: { purpose: "wipe", wipeDataFlags: keepResetProtection ? ["PRESERVE_RESET_PROTECTION_DATA"] : [] } } : { type: call, params: { purpose: "retire" } };
  return { type: call, params: {} };
}

/** Queues `action` on the Android devices among `ids` and starts the job that carries it out. */
export async function startAndroidBulk(ids: string[], action: DeviceAction, opts: { keepResetProtection?: boolean; batchId?: string }, actor: Actor, ctx: Ctx): Promise<AndroidBulkResult> {
  const devices = await prisma().device.findMany({
    where: { id: { in: ids }, platform: "ANDROID" },
    select: { id: true, name: true, serialNumber: true, amapiName: true, platform: true, status: true, supervised: true, lostMode: true, unlockTokenSealed: true, enrollmentId: true, osVersion: true, androidManagementMode: true, androidOwnership: true },
  });
  const refusedBy = new Map<string, { count: number; samples: string[] }>();
  const eligible: string[] = [];
  for (const d of devices) {
    const why = unavailable(d, action);
    if (!why) {
      eligible.push(d.id);
      continue;
    }
    const r = refusedBy.get(why) ?? { count: 0, samples: [] };
    r.count++;
    if (r.samples.length < SAMPLES) r.samples.push(d.name ?? d.serialNumber ?? d.amapiName ?? d.id);
    refusedBy.set(why, r);
  }
  const refused: Refusal[] = [...refusedBy].map(([why, r]) => ({ reason: `errors.device.unavailable.${why}`, params: { platform: PLATFORM_LABEL.ANDROID }, count: r.count, samples: r.samples.sort() }));
  if (!eligible.length) return { queued: 0, refused, job: null };
  const command = commandOf(action, opts.keepResetProtection !== false);
  let commandIds: string[] = [];
  if (command) {
    const expiresAt = new Date(Date.now() + DEFAULT_EXPIRY_HOURS * 3_600_000);
    const rows = await prisma().command.createManyAndReturn({
      data: eligible.map((deviceId) => ({ id: crypto.randomUUID(), deviceId, requestType: command.type, payload: { type: command.type, ...command.params }, queuedByLabel: actor.label, expiresAt, batchId: opts.batchId ?? null })),
      select: { id: true },
    });
    commandIds = rows.map((r) => r.id);
  }
  const job = await startJob(JOB_KINDS.androidBulk, actor, { action, devices: eligible.length }, command ? { commandIds } : { deviceIds: eligible, action }, eligible.length);
  return { queued: eligible.length, refused, job };
}

/** The android-bulk job: each command issued (or each device read again), counted as it goes. */
export async function runAndroidBulk(data: { commandIds?: string[]; deviceIds?: string[] }, p: Progress): Promise<{ issued: number; failed: number }> {
  let issued = 0;
  let failed = 0;
  for (const id of data.commandIds ?? []) {
    const turn = await carryOutAndroidCommand(id, 0).catch(() => "failed");
    if (turn === "failed") failed++;
    else issued++;
    await p.add(1, turn === "failed" ? 1 : 0);
  }
  for (const amapi of await namesOf(data.deviceIds ?? [])) {
    try {
      await refreshAndroidDevice(amapi);
      issued++;
      await p.add(1);
    } catch (e) {
      if (!isUserError(e)) throw e;
      failed++;
      await p.add(1, 1);
    }
  }
  return { issued, failed };
}

async function namesOf(ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await prisma().device.findMany({ where: { id: { in: ids } }, select: { amapiName: true } });
  return rows.map((r) => r.amapiName).filter((n): n is string => !!n);
}
