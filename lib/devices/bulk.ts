import { prisma } from "@/lib/db/client";
import type { Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import { ENQUEUE_MAX, ENROLLMENT_PROFILE, bulkEnqueue, type CommandsByPlatform, type Refusal } from "@/lib/mdm/enqueue";
import type { ApplePlatform } from "@/lib/mdm/commands";
import { platformCommands, type ActionParams, type PlatformAction } from "./actions";
import { startAndroidBulk } from "@/lib/android/bulk";
import { deviceOrderBy, deviceWhere, filterQuery, loadQueryContext, type DeviceFilter } from "./query";
import type { T } from "@/lib/i18n";

// One action on many devices from the device list: the commands of every eligible device are
// queued in one statement (lib/mdm/enqueue), refusals are counted by reason, one "device.bulk"
// event records the whole run, and the pushes run as a push-devices job. The admin learns
// what was queued at once and follows the pushes on the job's progress.

export const BULK_ACTIONS = ["refresh", "checkIn", "lock", "retire", "wipe"] as const satisfies readonly PlatformAction[];
export type BulkAction = (typeof BULK_ACTIONS)[number];
/** Most devices one bulk action may touch; the list says so. */
export const BULK_MAX = ENQUEUE_MAX;
/** Actions the admin confirms by typing how many devices they are about to hit. */
export const CONFIRM_BY_COUNT: readonly BulkAction[] = ["wipe", "retire"];

export type BulkSelection = { scope: "selected"; ids: string[] } | { scope: "filter"; filter: DeviceFilter };

export interface BulkResult {
  action: BulkAction;
  /** Devices selected. */
  total: number;
  /** Devices whose commands are queued (and that will be pushed). */
  queued: number;
  refused: Refusal[];
  /** The push-devices job, when any device was queued. */
  jobId: string | null;
  /** Marks the run's commands: lib/devices/bulk-outcome.ts follows them to their end. */
  batchId: string;
}

/** The device ids a selection stands for, at most BULK_MAX. Ids that no longer exist stay, to be reported. */
export async function bulkTargets(sel: BulkSelection, now = new Date()): Promise<string[]> {
  if (sel.scope === "selected") {
    const ids = [...new Set(sel.ids)];
    if (ids.length === 0) throw new UserError("device.bulkNone");
    if (ids.length > BULK_MAX) throw new UserError("device.bulkTooMany", { count: ids.length, max: BULK_MAX });
    return ids;
  }
  const where = deviceWhere(sel.filter, await loadQueryContext(sel.filter, now));
  const rows = await prisma().device.findMany({ where, orderBy: deviceOrderBy(sel.filter), take: BULK_MAX + 1, select: { id: true } });
  if (rows.length === 0) throw new UserError("device.bulkNone");
  if (rows.length > BULK_MAX) throw new UserError("device.bulkTooMany", { count: await prisma().device.count({ where }), max: BULK_MAX });
  return rows.map((d) => d.id);
}

/** Digits as typed, full-width ones from a Japanese IME included. */
function typedNumber(s: string | undefined): string {
  return (s ?? "").normalize("NFKC").replace(/[\s,]/g, "");
}

/** The action's commands per Apple platform; a platform that refuses it (a Mac without PIN) carries the reason. */
function commandsByPlatform(action: BulkAction, params: ActionParams): CommandsByPlatform {
  const out: CommandsByPlatform = {};
  for (const platform of ["IOS", "MACOS"] as ApplePlatform[]) {
    try {
      // A PIN is for Macs; iPhone and iPad refuse the option, so they never get it.
      out[platform] = platformCommands(platform, action, platform === "MACOS" ? params : { ...params, pin: undefined }, ENROLLMENT_PROFILE);
    } catch (e) {
      if (!isUserError(e)) throw e;
      out[platform] = e;
    }
  }
  return out;
}

/**
 * Queues `action` for every device of the selection and audits the run as "device.bulk";
 * returns once the commands are queued, with the push job's id. Refused as a whole (UserError)
 * when nothing or too much is selected, or when a destructive action's typed count does not match.
 */
export async function runBulkAction(
  sel: BulkSelection,
  action: BulkAction,
  params: ActionParams & { confirm?: string },
  actor: Actor,
  ctx: { ip: string | null; userAgent: string | null },
): Promise<BulkResult> {
  const ids = await bulkTargets(sel);
  if (CONFIRM_BY_COUNT.includes(action) && typedNumber(params.confirm) !== String(ids.length)) {
    throw new UserError("device.bulkConfirm", { count: ids.length });
  }
  const { confirm: _confirm, ...common } = params;
  const batchId = crypto.randomUUID();
  // Android devices go through Google (lib/android/bulk.ts); the rest through the MDM queue.
  const androidIds = new Set((await prisma().device.findMany({ where: { id: { in: ids }, platform: "ANDROID" }, select: { id: true } })).map((d) => d.id));
  const android = androidIds.size ? await startAndroidBulk([...androidIds], action, { keepResetProtection: common.keepResetProtection, batchId }, actor, ctx) : null;
  const appleIds = androidIds.size ? ids.filter((id) => !androidIds.has(id)) : ids;
  const r = await bulkEnqueue(appleIds, commandsByPlatform(action, common), {
    actor,
    ...ctx,
    action: "device.bulk",
    batchId,
    details: {
      action,
      scope: sel.scope,
      ...(sel.scope === "filter" && { filter: filterQuery(sel.filter, { page: false, sort: false }) }),
      ...(common.message && { message: common.message }),
    },
    also: android ? { devices: androidIds.size, queued: android.queued, refused: android.refused, jobId: android.job?.id ?? null } : undefined,
  });
  const refused = [...r.refused, ...(android?.refused ?? [])].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  // The Android job carries the longer work (a call to Google per device): the one the page follows.
  return { action, total: ids.length, queued: r.deviceIds.length + (android?.queued ?? 0), refused, jobId: android?.job?.id ?? r.job?.id ?? null, batchId };
}

/** The run as lines for the admin: how many were queued, then each reason with a few of its devices. */
export function bulkReport(t: T, r: BulkResult): string {
  const lines = [t("devices.bulk.queued", { action: t(`devices.bulk.actions.${r.action}`), queued: r.queued, total: r.total })];
  const refused = r.refused.reduce((n, x) => n + x.count, 0);
  if (refused) {
    lines.push(t("devices.bulk.refused", { count: refused }));
    for (const x of r.refused) {
      const names = [...x.samples];
      if (x.count > names.length) names.push(t("devices.bulk.more", { count: x.count - names.length }));
      lines.push(t("devices.bulk.group", { reason: t(x.reason, x.params), count: x.count, devices: names.join(t("devices.bulk.separator")) }));
    }
  }
  return lines.join("\n");
}
