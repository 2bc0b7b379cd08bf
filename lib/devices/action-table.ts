import { COMMAND_INFO, type RequestType } from "@/lib/mdm/commands";
import type { Device } from "@/lib/db/generated/client";

// The one table of device actions: on which platforms each exists, how it is carried out there
// (Apple MDM commands, or an Android Management API call), when it is unavailable and why, how
// the person confirms it, and whether it runs in bulk. The admin device page, the bulk actions,
// the portal (after the privacy settings) and the server (lib/devices/actions.ts) all read it;
// the server refuses what it refuses. Pure: no database, so pages and tests use it as is.

export const DEVICE_ACTIONS = [
  "refresh", "checkIn", "rename", "lock", "clearPasscode", "lostModeOn", "lostModeOff", "locate", "playSound", "restart", "wipe", "retire",
] as const;
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];

/** AMAPI Device.managementMode: fully managed (device owner) or a work profile (profile owner). */
export type AndroidMode = "DEVICE_OWNER" | "PROFILE_OWNER";

/**
 * How an action is carried out on Android (https://developers.google.com/android/management/reference/rest/v1/enterprises.devices/issueCommand,
 * .../enterprises.devices/delete): an issueCommand type, `DELETE` (devices.delete: erases a fully
 * managed device, removes a work profile), or `GET` (devices.get: read the device again).
 */
export type AndroidCall = "LOCK" | "RESET_PASSWORD" | "REBOOT" | "START_LOST_MODE" | "STOP_LOST_MODE" | "DELETE" | "GET";

export interface AndroidWay {
  call: AndroidCall;
  /** The management modes it exists in. */
  modes: readonly AndroidMode[];
  /** Lost mode: company-owned devices only (https://developers.google.com/android/management/lost-mode). */
  companyOwned?: boolean;
  /** Oldest Android major version per mode. */
  minVersion?: Partial<Record<AndroidMode, number>>;
}

/**
 * How a person confirms it: `none` one click; `panel` opened first (fields, disruptive);
 * `tick` a box saying they understand; `typeName` the device's name typed again.
 */
export type Risk = "none" | "panel" | "tick" | "typeName";

export interface ActionSpec {
  /** Apple: the MDM commands, in order (empty: a push only); absent when Apple devices do not have it. */
  apple?: readonly RequestType[];
  android?: AndroidWay;
  risk: Risk;
  bulk: boolean;
}

const BOTH: readonly AndroidMode[] = ["DEVICE_OWNER", "PROFILE_OWNER"];
const LOST_MODE: AndroidWay["minVersion"] = { DEVICE_OWNER: 11, PROFILE_OWNER: 13 };

export const ACTION_TABLE: Record<DeviceAction, ActionSpec> = {
  refresh: { apple: ["DeviceInformation", "SecurityInfo", "InstalledApplicationList", "ProfileList", "CertificateList"], android: { call: "GET", modes: BOTH }, risk: "none", bulk: true },
  checkIn: { apple: [], risk: "none", bulk: true },
  // Apple's Settings command with the DeviceName item. AMAPI cannot rename a device.
  rename: { apple: ["Settings"], risk: "panel", bulk: false },
  lock: { apple: ["DeviceLock"], android: { call: "LOCK", modes: BOTH }, risk: "panel", bulk: true },
  clearPasscode: { apple: ["ClearPasscode"], android: { call: "RESET_PASSWORD", modes: BOTH }, risk: "tick", bulk: false },
  lostModeOn: { apple: ["EnableLostMode"], android: { call: "START_LOST_MODE", modes: BOTH, companyOwned: true, minVersion: LOST_MODE }, risk: "panel", bulk: false },
  lostModeOff: { apple: ["DisableLostMode"], android: { call: "STOP_LOST_MODE", modes: BOTH, companyOwned: true, minVersion: LOST_MODE }, risk: "panel", bulk: false },
  locate: { apple: ["DeviceLocation"], risk: "none", bulk: false },
  playSound: { apple: ["PlayLostModeSound"], risk: "none", bulk: false },
  restart: { apple: ["RestartDevice"], android: { call: "REBOOT", modes: ["DEVICE_OWNER"], minVersion: { DEVICE_OWNER: 7 } }, risk: "panel", bulk: false },
  // devices.delete erases a fully managed phone; on a work profile it removes the profile only.
  wipe: { apple: ["EraseDevice"], android: { call: "DELETE", modes: ["DEVICE_OWNER"] }, risk: "typeName", bulk: true },
  retire: { apple: ["RemoveProfile"], android: { call: "DELETE", modes: ["PROFILE_OWNER"] }, risk: "tick", bulk: true },
};

/** Why an action is unavailable; each has one sentence, `errors.device.unavailable.<reason>`. */
export const UNAVAILABLE = [
  "notManaged", "platform", "supervisedOnly", "noUnlockToken", "needsLostMode", "inLostMode", "noEnrollmentProfile",
  "androidModeUnknown", "workProfile", "fullyManaged", "companyOwnedOnly", "androidTooOld",
] as const;
export type Unavailable = (typeof UNAVAILABLE)[number];

/** Reasons that follow from the device's state of the moment: the action is simply not shown. */
export const STATE_REASONS: readonly Unavailable[] = ["notManaged", "needsLostMode", "inLostMode", "platform"];

export type AvailabilityInput = Pick<Device, "platform" | "status" | "supervised" | "lostMode" | "unlockTokenSealed" | "enrollmentId" | "osVersion"> & {
  androidManagementMode?: string | null;
  androidOwnership?: string | null;
};

const major = (v: string | null) => {
  const n = v ? parseInt(v, 10) : NaN;
  return Number.isFinite(n) ? n : null;
};

/**
 * What the device would refuse, as far as Mamori knows: supervised-only commands on an iPhone
 * known to be unsupervised, lost mode commands outside lost mode, a work profile's phone erased.
 * Unknown supervision (no inventory yet) is offered; an unknown Android mode is not, where the
 * mode decides between erasing and not.
 */
export function unavailable(d: AvailabilityInput, action: DeviceAction): Unavailable | null {
  if (d.status === "RETIRED" || d.status === "WIPED") return "notManaged";
  const spec = ACTION_TABLE[action];
  if (d.platform === "ANDROID") return androidUnavailable(d, action, spec.android);
  if (!spec.apple) return "platform";
  for (const type of spec.apple) {
    const info = COMMAND_INFO[type];
    if (!(info.platforms as readonly string[]).includes(d.platform)) return "platform";
    if (d.platform === "IOS" && info.iosSupervised && d.supervised === false) return "supervisedOnly";
  }
  switch (action) {
    case "rename":
      // The Settings command is not supervised-only; its DeviceName item is on iOS.
      return d.platform === "IOS" && d.supervised === false ? "supervisedOnly" : null;
    case "clearPasscode":
      return d.unlockTokenSealed ? null : "noUnlockToken";
    case "lostModeOn":
      return d.lostMode ? "inLostMode" : null;
    case "lostModeOff":
    case "locate":
    case "playSound":
      return d.lostMode ? null : "needsLostMode";
    case "retire":
      return d.enrollmentId ? null : "noEnrollmentProfile";
    default:
      return null;
  }
}

function androidUnavailable(d: AvailabilityInput, action: DeviceAction, way: AndroidWay | undefined): Unavailable | null {
  if (!way) return "platform";
  const mode = d.androidManagementMode === "DEVICE_OWNER" || d.androidManagementMode === "PROFILE_OWNER" ? d.androidManagementMode : null;
  if (!mode) return way.modes.length === 2 && !way.companyOwned && !way.minVersion ? null : "androidModeUnknown";
  if (!way.modes.includes(mode)) return mode === "PROFILE_OWNER" ? "workProfile" : "fullyManaged";
  if (way.companyOwned && d.androidOwnership !== "COMPANY_OWNED") return "companyOwnedOnly";
  const min = way.minVersion?.[mode];
  const version = major(d.osVersion);
  if (min && (version === null || version < min)) return "androidTooOld";
  if (action === "lostModeOn" && d.lostMode) return "inLostMode";
  if (action === "lostModeOff" && !d.lostMode) return "needsLostMode";
  return null;
}

/** The platform as the sentence `errors.device.unavailable.platform` names it (the same in both languages). */
export const PLATFORM_LABEL: Record<Device["platform"], string> = { IOS: "iPhone / iPad", MACOS: "Mac", ANDROID: "Android" };

/** Every action with the reason it is unavailable, or null when it is offered. */
export function availability(d: AvailabilityInput): Record<DeviceAction, Unavailable | null> {
  return Object.fromEntries(DEVICE_ACTIONS.map((a) => [a, unavailable(d, a)])) as Record<DeviceAction, Unavailable | null>;
}
