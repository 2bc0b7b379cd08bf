import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { pushDevice, type DevicePushResult } from "@/lib/apns/push-service";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import type { BuiltCommand } from "@/lib/mdm/queue";
import { unlockToken } from "@/lib/mdm/service";
import * as cmd from "@/lib/mdm/commands";
import type { Command, Device } from "@/lib/db/generated/client";
import { PLATFORM_LABEL, unavailable, type DeviceAction } from "./action-table";
import { runAndroidAction } from "./android-actions";

// The one place that turns "do X to this device" into commands (Apple MDM, or Android Management
// API calls through lib/devices/android-actions.ts): the admin device page, bulk actions and the
// self-service portal all call runDeviceAction, which refuses what lib/devices/action-table.ts refuses.

export { DEVICE_ACTIONS, type DeviceAction } from "./action-table";

export interface ActionParams {
  message?: string;
  phoneNumber?: string;
  footnote?: string;
  /** Six digits, for lock and wipe on macOS. */
  pin?: string;
  /** locate outside lost mode: turn lost mode on first (message or phone number), in the same order. */
  enterLostMode?: boolean;
  /** Android lost mode shows these too. */
  emailAddress?: string;
  streetAddress?: string;
  organization?: string;
  /** rename: the new device name. */
  deviceName?: string;
  /** Android wipe: keep factory reset protection (the phone asks for the company account after the reset). */
  keepResetProtection?: boolean;
}

export interface ActionOutcome {
  deviceId: string;
  commands: Pick<Command, "id" | "requestType" | "status">[];
  push?: DevicePushResult;
  /** A secret made for this action (an Android passcode after a reset): shown once, kept nowhere readable. */
  secret?: string;
}

type Ctx = { ip: string | null; userAgent: string | null };

/** Why a wake-up did or did not reach Apple, as a key of `deviceDetail.push.*`. */
export function pushReason(o: ActionOutcome): string {
  const p = o.push;
  return !p ? "delivered" : "skipped" in p ? p.skipped : p.outcome;
}

function platformOf(d: Device): cmd.ApplePlatform {
  if (d.platform === "ANDROID") throw new UserError("mdm.notSupported", { command: "MDM", platform: "Android" });
  return d.platform;
}

/** Actions whose commands depend on the platform only, not on the device: the ones that run in bulk too. */
export type PlatformAction = "refresh" | "checkIn" | "lock" | "wipe" | "retire";

/**
 * The commands of an action that depends only on the platform; `retire` removes the profile
 * `enrollmentProfile` names. Throws UserError when the platform refuses the action or a parameter.
 */
export function platformCommands(platform: cmd.ApplePlatform, action: PlatformAction, p: ActionParams, enrollmentProfile: string): BuiltCommand[] {
  switch (action) {
    case "refresh":
      return [cmd.deviceInformation(platform), cmd.securityInfo(platform), cmd.installedApplicationList(platform), cmd.profileList(platform), cmd.certificateList(platform)] as BuiltCommand[];
    case "checkIn":
      return [];
    case "lock":
      return [cmd.deviceLock(platform, { message: p.message, phoneNumber: p.phoneNumber, pin: p.pin }) as BuiltCommand];
    case "wipe":
      return [cmd.eraseDevice(platform, { pin: p.pin }) as BuiltCommand];
    case "retire":
      return [cmd.removeProfile(platform, { identifier: enrollmentProfile }) as BuiltCommand];
  }
}

/** Refuses what the action table refuses for this device, with the table's reason. */
export function assertAvailable(d: Device, action: DeviceAction, p: ActionParams = {}): void {
  // Locating outside lost mode: lost mode goes on first, so both must be possible.
  const why = action === "locate" && p.enterLostMode && !d.lostMode
    ? (unavailable(d, "lostModeOn") ?? unavailable({ ...d, lostMode: true }, "locate"))
    : unavailable(d, action);
  if (why) throw new UserError(`device.unavailable.${why}`, { platform: PLATFORM_LABEL[d.platform] });
}

/** The Apple commands an action stands for on this device; throws UserError when it cannot apply. */
export async function commandsFor(d: Device, action: DeviceAction, p: ActionParams = {}): Promise<BuiltCommand[]> {
  const platform = platformOf(d);
  switch (action) {
    case "refresh":
    case "checkIn":
    case "lock":
    case "wipe":
      return platformCommands(platform, action, p, "");
    case "rename":
      return [cmd.deviceName(platform, { name: p.deviceName ?? "" }) as BuiltCommand];
    case "clearPasscode":
      return [cmd.clearPasscode(platform, { unlockToken: unlockToken(d) }) as BuiltCommand];
    case "lostModeOn":
      return [cmd.enableLostMode(platform, { message: p.message, phoneNumber: p.phoneNumber, footnote: p.footnote }) as BuiltCommand];
    case "lostModeOff":
      return [cmd.disableLostMode(platform) as BuiltCommand];
    case "locate":
      // iOS answers DeviceLocation only in lost mode; the queue keeps order, so both can go at once.
      if (!d.lostMode && p.enterLostMode) {
        return [cmd.enableLostMode(platform, { message: p.message, phoneNumber: p.phoneNumber, footnote: p.footnote }), cmd.deviceLocation(platform)] as BuiltCommand[];
      }
      return [cmd.deviceLocation(platform) as BuiltCommand];
    case "playSound":
      return [cmd.playLostModeSound(platform) as BuiltCommand];
    case "restart":
      return [cmd.restartDevice(platform) as BuiltCommand];
    case "retire": {
      const enrollment = d.enrollmentId ? await prisma().enrollment.findUnique({ where: { id: d.enrollmentId }, select: { profileIdentifier: true } }) : null;
      if (!enrollment) throw new UserError("device.noEnrollmentProfile");
      return platformCommands(platform, "retire", p, enrollment.profileIdentifier);
    }
  }
}

/**
 * Queues the action's commands (they push the device) and audits it as "device.<action>".
 * Parameters that are secrets (PINs) reach the queue sealed and never the audit log.
 */
export async function runDeviceAction(deviceId: string, action: DeviceAction, params: ActionParams, actor: Actor, ctx: Ctx): Promise<ActionOutcome> {
  const d = await prisma().device.findUnique({ where: { id: deviceId } });
  if (!d) throw new UserError("device.notFound");
  assertAvailable(d, action, params);
  if (d.platform === "ANDROID") return runAndroidAction(d, action, params, actor, ctx);
  const built = await commandsFor(d, action, params);
  const commands: ActionOutcome["commands"] = [];
  for (const [i, b] of built.entries()) {
    // One push for the whole action, after the last command is queued.
    const c = await enqueueCommand(d.id, b, { actor, ...ctx, push: i === built.length - 1 });
    commands.push({ id: c.id, requestType: c.requestType, status: c.status });
  }
  const push = built.length === 0 ? await pushDevice(d.id) : undefined;
  await audit({ actor, action: `device.${action}`, target: { type: "device", id: d.id, label: d.name ?? d.serialNumber ?? d.udid }, details: { commands: commands.map((c) => c.requestType), ...(params.message && { message: params.message }), ...(action === "rename" && { from: d.name, to: params.deviceName?.trim() }) }, ...ctx });
  return { deviceId: d.id, commands, push };
}
