import { randomInt } from "node:crypto";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { queueAndroidCommand, type AndroidCommandParams, type AndroidCommandType } from "@/lib/android/commands";
import { refreshAndroidDevice } from "@/lib/android/sync";
import type { Device } from "@/lib/db/generated/client";
import { ACTION_TABLE, type DeviceAction } from "./action-table";
import type { ActionOutcome, ActionParams } from "./actions";

// Android devices: the action table's Android Management API way, carried out by
// lib/android/commands.ts (a durable job follows each call until Google says it is done).

type Ctx = { ip: string | null; userAgent: string | null };

// No 0/o, 1/l: read aloud over the phone by the help desk.
const LETTERS = "abcdefghijkmnpqrstuvwxyz";
const DIGITS = "23456789";
const pick = (s: string) => s[randomInt(s.length)]!;

/**
 * A new passcode for RESET_PASSWORD: letters, digits and a hyphen satisfy every password quality a
 * policy can ask (numeric, alphabetic, alphanumeric, complex with its default minimums), 9 characters.
 */
export function newAndroidPasscode(): string {
  const part = () => [pick(LETTERS), pick(LETTERS), pick(DIGITS), pick(LETTERS)].join("");
  return `${part()}-${part()}`;
}

function lostModeParams(p: ActionParams): AndroidCommandParams {
  const out: AndroidCommandParams = {
    lostMessage: p.message?.trim() || undefined,
    lostPhoneNumber: p.phoneNumber?.trim() || undefined,
    lostEmailAddress: p.emailAddress?.trim() || undefined,
    lostStreetAddress: p.streetAddress?.trim() || undefined,
    lostOrganization: p.organization?.trim() || undefined,
  };
  // Google requires one of these besides the organization.
  if (!out.lostMessage && !out.lostPhoneNumber && !out.lostEmailAddress && !out.lostStreetAddress) throw new UserError("device.lostModeNeedsContact");
  return out;
}

export async function runAndroidAction(d: Device, action: DeviceAction, p: ActionParams, actor: Actor, ctx: Ctx): Promise<ActionOutcome> {
  const way = ACTION_TABLE[action].android;
  if (!way || !d.amapiName) throw new UserError("device.unavailable.platform", { platform: "Android" });
  const label = d.name ?? d.serialNumber ?? d.amapiName;
  if (way.call === "GET") {
    await refreshAndroidDevice(d.amapiName);
    await audit({ actor, action: `device.${action}`, target: { type: "device", id: d.id, label }, details: { android: "devices.get" }, ...ctx });
    return { deviceId: d.id, commands: [] };
  }
  let params: AndroidCommandParams = {};
  let secret: string | undefined;
  const type: AndroidCommandType = way.call;
  if (way.call === "RESET_PASSWORD") params = { newPassword: (secret = newAndroidPasscode()) };
  if (way.call === "START_LOST_MODE") params = lostModeParams(p);
  // Factory reset protection stays unless the admin chose otherwise: a stolen phone stays useless.
  if (way.call === "DELETE") params = action === "wipe" ? { purpose: "wipe", wipeDataFlags: p.keepResetProtection === false ? [] : ["PRESERVE_RESET_PROTECTION_DATA"] } : { purpose: "retire" };
  const c = await queueAndroidCommand(d.id, type, params, actor, ctx);
  await audit({ actor, action: `device.${action}`, target: { type: "device", id: d.id, label }, details: { commands: [type], ...(p.message && { message: p.message }) }, ...ctx });
  return { deviceId: d.id, commands: [{ id: c.id, requestType: c.requestType, status: c.status }], secret };
}
