import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import { runDeviceAction, type ActionParams, type DeviceAction } from "./actions";
import { deviceOrderBy, deviceWhere, filterQuery, loadQueryContext, type DeviceFilter } from "./query";
import type { Platform } from "@/lib/db/generated/enums";
import type { T } from "@/lib/i18n";

// One action on many devices from the device list: each device goes through runDeviceAction
// (which queues, pushes and audits it), refusals are collected with their reason, and one
// "device.bulk" event records the whole run.

export const BULK_ACTIONS = ["refresh", "checkIn", "lock", "retire", "wipe"] as const satisfies readonly DeviceAction[];
export type BulkAction = (typeof BULK_ACTIONS)[number];
/** Most devices one bulk action may touch; the list says so. */
export const BULK_MAX = 1000;
/** Actions the admin confirms by typing how many devices they are about to hit. */
export const CONFIRM_BY_COUNT: readonly BulkAction[] = ["wipe", "retire"];
/** Devices worked on at once: enough to overlap pushes, few enough to leave the pool to others. */
const CONCURRENCY = 4;

export type BulkSelection = { scope: "selected"; ids: string[] } | { scope: "filter"; filter: DeviceFilter };

interface Target { id: string; label: string; platform: Platform | null }

export interface BulkRefusal {
  deviceId: string;
  label: string;
  /** i18n key of the reason, with its params. */
  reason: string;
  params: Record<string, string | number>;
}

export interface BulkResult {
  action: BulkAction;
  total: number;
  succeeded: number;
  refused: BulkRefusal[];
}

const TARGET_SELECT = { id: true, name: true, serialNumber: true, udid: true, platform: true } as const;
const labelOf = (d: { id: string; name: string | null; serialNumber: string | null; udid: string | null }) => d.name ?? d.serialNumber ?? d.udid ?? d.id;

/** The devices a selection stands for, at most BULK_MAX. Ids that no longer exist stay, to be reported. */
export async function bulkTargets(sel: BulkSelection, now = new Date()): Promise<Target[]> {
  if (sel.scope === "selected") {
    const ids = [...new Set(sel.ids)];
    if (ids.length === 0) throw new UserError("device.bulkNone");
    if (ids.length > BULK_MAX) throw new UserError("device.bulkTooMany", { count: ids.length, max: BULK_MAX });
    const found = new Map((await prisma().device.findMany({ where: { id: { in: ids } }, select: TARGET_SELECT })).map((d) => [d.id, d]));
    return ids.map((id) => {
      const d = found.get(id);
      return d ? { id, label: labelOf(d), platform: d.platform } : { id, label: id, platform: null };
    });
  }
  const where = deviceWhere(sel.filter, await loadQueryContext(sel.filter, now));
  const rows = await prisma().device.findMany({ where, orderBy: deviceOrderBy(sel.filter), take: BULK_MAX + 1, select: TARGET_SELECT });
  if (rows.length === 0) throw new UserError("device.bulkNone");
  if (rows.length > BULK_MAX) throw new UserError("device.bulkTooMany", { count: await prisma().device.count({ where }), max: BULK_MAX });
  return rows.map((d) => ({ id: d.id, label: labelOf(d), platform: d.platform }));
}

/** Digits as typed, full-width ones from a Japanese IME included. */
function typedNumber(s: string | undefined): string {
  return (s ?? "").normalize("NFKC").replace(/[\s,]/g, "");
}

/**
 * Runs `action` on every device of the selection and audits the run as "device.bulk".
 * Refused as a whole (UserError) when nothing or too much is selected, or when a destructive
 * action's typed count does not match.
 */
export async function runBulkAction(
  sel: BulkSelection,
  action: BulkAction,
  params: ActionParams & { confirm?: string },
  actor: Actor,
  ctx: { ip: string | null; userAgent: string | null },
): Promise<BulkResult> {
  const targets = await bulkTargets(sel);
  if (CONFIRM_BY_COUNT.includes(action) && typedNumber(params.confirm) !== String(targets.length)) {
    throw new UserError("device.bulkConfirm", { count: targets.length });
  }
  const { confirm: _confirm, ...common } = params;
  const refused: (BulkRefusal | null)[] = new Array(targets.length).fill(null);
  let next = 0;
  let succeeded = 0;
  const one = async (i: number) => {
    const d = targets[i]!;
    const refuse = (reason: string, p: Record<string, string | number> = {}) => { refused[i] = { deviceId: d.id, label: d.label, reason, params: p }; };
    try {
      // A PIN is for Macs; iPhone and iPad refuse the option, so they never get it.
      const out = await runDeviceAction(d.id, action, d.platform === "MACOS" ? common : { ...common, pin: undefined }, actor, ctx);
      const push = out.push;
      if (push && "skipped" in push) return refuse(`devices.push.${push.skipped}`);
      if (push && push.outcome !== "delivered") return refuse("devices.push.failed", { reason: push.reason ?? push.outcome });
      succeeded++;
    } catch (e) {
      if (isUserError(e)) return refuse(`errors.${e.code}`, e.params);
      console.error(`bulk ${action} on device ${d.id} failed`, e);
      refuse("errors.unexpected");
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, async () => {
    while (next < targets.length) await one(next++);
  }));
  const result: BulkResult = { action, total: targets.length, succeeded, refused: refused.filter((r): r is BulkRefusal => r !== null) };
  const byReason: Record<string, number> = {};
  for (const r of result.refused) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  await audit({
    actor,
    action: "device.bulk",
    result: succeeded ? "SUCCESS" : "FAILURE",
    target: { type: "device", label: `${targets.length}` },
    details: {
      action,
      scope: sel.scope,
      ...(sel.scope === "filter" && { filter: filterQuery(sel.filter, { page: false, sort: false }) }),
      devices: targets.length,
      succeeded,
      refused: byReason,
      ...(common.message && { message: common.message }),
    },
    ...ctx,
  });
  return result;
}

/** The run as lines for the admin: how many succeeded, then each reason with the devices refused for it. */
export function bulkReport(t: T, r: BulkResult, namesPerReason = 10): string {
  const lines = [t("devices.bulk.result", { action: t(`devices.bulk.actions.${r.action}`), succeeded: r.succeeded, total: r.total })];
  if (r.refused.length) {
    lines.push(t("devices.bulk.refused", { count: r.refused.length }));
    const groups = new Map<string, BulkRefusal[]>();
    for (const x of r.refused) {
      const key = t(x.reason, x.params);
      groups.set(key, [...(groups.get(key) ?? []), x]);
    }
    for (const [reason, list] of groups) {
      const names = list.slice(0, namesPerReason).map((x) => x.label);
      if (list.length > namesPerReason) names.push(t("devices.bulk.more", { count: list.length - namesPerReason }));
      lines.push(t("devices.bulk.group", { reason, count: list.length, devices: names.join(t("devices.bulk.separator")) }));
    }
  }
  return lines.join("\n");
}
