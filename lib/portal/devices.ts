import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { runDeviceAction, type ActionOutcome, type ActionParams, type DeviceAction } from "@/lib/devices/actions";
import { readLocation, type StoredLocation } from "@/lib/devices/detail";
import { PLATFORM_LABEL, unavailable, type AvailabilityInput, type Unavailable } from "@/lib/devices/action-table";
import { errorChainText } from "@/lib/mdm/results";
import { allowedActions, PORTAL_ACTIONS, type PortalAction } from "@/lib/privacy";
import type { Device, User } from "@/lib/db/generated/client";
import { isUuid } from "@/lib/ids";
import { ownDevice } from "@/lib/auth/owner";

// The self-service portal's devices: an end user sees and acts on the devices they own, and
// nothing else. Every function here takes the signed-in user and checks ownership itself, so
// pages, server actions and route handlers cannot forget to.

type Ctx = { ip: string | null; userAgent: string | null };
type PortalUser = Pick<User, "id" | "email" | "groupId">;

/** Portal action → the one device action (lib/devices/actions.ts) it runs. */
export const DEVICE_ACTION: Record<PortalAction, DeviceAction> = {
  checkIn: "checkIn",
  lock: "lock",
  unlock: "clearPasscode",
  locate: "locate",
  lostModeOff: "lostModeOff",
  wipe: "wipe",
  retire: "retire",
};

/** The commands whose progress the portal shows (not the background inventory). */
export const PORTAL_REQUEST_TYPES = [
  "DeviceLock", "ClearPasscode", "EnableLostMode", "DeviceLocation", "DisableLostMode", "EraseDevice", "RemoveProfile",
  // Android (lib/android/commands.ts)
  "LOCK", "RESET_PASSWORD", "START_LOST_MODE", "STOP_LOST_MODE", "DELETE",
];

const LIST_SELECT = {
  id: true, name: true, model: true, modelName: true, productName: true, platform: true, osVersion: true, status: true, lastCheckInAt: true, serialNumber: true,
} as const;

export async function myDevices(userId: string) {
  return prisma().device.findMany({ where: { ownerId: userId }, select: LIST_SELECT, orderBy: [{ enrolledAt: "desc" }, { createdAt: "desc" }] });
}

/**
 * Why a portal action is not offered for this device (privacy aside), from the one action table;
 * null when it is. Locating outside lost mode turns lost mode on first, so both must be possible.
 */
export function portalAvailability(d: AvailabilityInput): Record<PortalAction, Unavailable | null> {
  const why = (a: PortalAction): Unavailable | null => {
    if (a !== "locate") return unavailable(d, DEVICE_ACTION[a]);
    // Android has no locate command: the portal's locate is lost mode there.
    if (d.platform === "ANDROID") return unavailable(d, "lostModeOn");
    return d.lostMode ? unavailable(d, "locate") : (unavailable(d, "lostModeOn") ?? unavailable({ ...d, lostMode: true }, "locate"));
  };
  return Object.fromEntries(PORTAL_ACTIONS.map((a) => [a, why(a)])) as Record<PortalAction, Unavailable | null>;
}

async function refuse(user: PortalUser, action: PortalAction, deviceId: string, reason: string, ctx: Ctx, code: string): Promise<never> {
  await audit({ actor: { id: user.id, label: user.email }, action: `portal.${action}`, result: "DENIED", target: { type: "device", id: isUuid(deviceId) ? deviceId : null, label: deviceId.slice(0, 64) }, details: { reason }, ...ctx });
  throw new UserError(code);
}

/**
 * Runs a portal action for the signed-in end user: only on a device they own (anything else
 * reads as not found), only when the privacy settings allow it, through runDeviceAction.
 */
export async function runPortalAction(
  user: PortalUser,
  deviceId: string,
  action: PortalAction,
  params: ActionParams,
  ctx: Ctx,
  /** A confirmation that needs the device (the wipe's typed name), checked after ownership. */
  confirm?: (device: Device) => void,
): Promise<ActionOutcome> {
  const device = await ownDevice(user, deviceId, { action: `portal.${action}`, ...ctx });
  if (!device) throw new UserError("portal.deviceNotFound");
  if (!(await allowedActions(user))[action]) return refuse(user, action, deviceId, "privacy", ctx, "portal.notAllowed");
  const why = portalAvailability(device)[action];
  if (why) throw new UserError(`device.unavailable.${why}`, { platform: PLATFORM_LABEL[device.platform] });
  confirm?.(device);
  const me = { id: user.id, label: user.email };
  if (action === "locate" && device.platform === "ANDROID") return runDeviceAction(device.id, "lostModeOn", params, me, ctx);
  const p: ActionParams = action === "locate" ? { ...params, enterLostMode: !device.lostMode } : params;
  return runDeviceAction(device.id, DEVICE_ACTION[action], p, me, ctx);
}

export type CommandState = "queued" | "sent" | "done" | "failed" | "busy" | "cancelled";

export interface PortalCommand {
  id: string;
  requestType: string;
  state: CommandState;
  createdAt: string;
  respondedAt: string | null;
  /** The device's answer: an error text, or coordinates for a location. */
  answer: string | null;
}

export interface PortalDeviceStatus {
  status: Device["status"];
  lostMode: boolean;
  lastCheckInAt: string | null;
  commands: PortalCommand[];
  /** Only when the privacy settings let this user see location. */
  location: StoredLocation | null;
}

const STATE: Record<string, CommandState> = { QUEUED: "queued", SENT: "sent", ACKNOWLEDGED: "done", ERROR: "failed", EXPIRED: "failed", NOT_NOW: "busy", CANCELLED: "cancelled" };

/** What the device page polls: the state of a device the user owns (ownDevice) and its latest portal commands. */
export async function myDeviceStatus(user: Pick<User, "groupId">, device: Device): Promise<PortalDeviceStatus> {
  const [commands, allowed] = await Promise.all([
    prisma().command.findMany({
      where: { deviceId: device.id, requestType: { in: PORTAL_REQUEST_TYPES } },
      orderBy: { seq: "desc" },
      take: 10,
      select: { id: true, requestType: true, status: true, createdAt: true, respondedAt: true, result: true, errorChain: true },
    }),
    allowedActions(user),
  ]);
  return {
    status: device.status,
    lostMode: device.lostMode,
    lastCheckInAt: device.lastCheckInAt?.toISOString() ?? null,
    location: allowed.locate ? readLocation(device.location) : null,
    commands: commands.map((c) => ({
      id: c.id,
      requestType: c.requestType,
      state: STATE[c.status] ?? "queued",
      createdAt: c.createdAt.toISOString(),
      respondedAt: c.respondedAt?.toISOString() ?? null,
      answer: answerOf(c, allowed.locate),
    })),
  };
}

function answerOf(c: { status: string; requestType: string; result: unknown; errorChain: unknown }, seeLocation: boolean): string | null {
  if (c.status === "ERROR") return errorChainText(c.errorChain);
  if (c.status === "ACKNOWLEDGED" && c.requestType === "DeviceLocation" && seeLocation) {
    const l = readLocation(c.result);
    return l ? `${l.latitude.toFixed(5)}, ${l.longitude.toFixed(5)}` : null;
  }
  return null;
}
