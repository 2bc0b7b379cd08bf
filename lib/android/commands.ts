import { randomUUID } from "node:crypto";
import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { isUserError } from "@/lib/errors";
import { openString, seal } from "@/lib/crypto";
import { DEFAULT_EXPIRY_HOURS, SEALED } from "@/lib/mdm/queue";
import { sendJob } from "@/lib/jobs/queue";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import type { Command } from "@/lib/db/generated/client";
import { deleteDevice, getOperation, issueCommand } from "./client";
import { applyOperation, googleErrorChain } from "./operations";
import { accessToken, configOrThrow } from "./service";

// Android remote actions as durable commands: a row in `commands` (the same states and pages as
// Apple's), carried out by the android-command job, which calls Google and then follows the
// long-running operation until it is done (https://developers.google.com/android/management/reference/rest/v1/enterprises.devices/issueCommand).
// DELETE is enterprises.devices.delete: done when Google answers.

const ANDROID_COMMAND_JOB = JOB_KINDS.androidCommand;

export type AndroidCommandType = "LOCK" | "RESET_PASSWORD" | "REBOOT" | "START_LOST_MODE" | "STOP_LOST_MODE" | "DELETE";

export interface AndroidCommandParams {
  /** RESET_PASSWORD: sealed until sent, then erased. */
  newPassword?: string;
  lostMessage?: string;
  lostPhoneNumber?: string;
  lostEmailAddress?: string;
  lostStreetAddress?: string;
  lostOrganization?: string;
  /** DELETE: PRESERVE_RESET_PROTECTION_DATA, WIPE_EXTERNAL_STORAGE, WIPE_ESIMS. */
  wipeDataFlags?: string[];
  wipeReasonMessage?: string;
  /** DELETE: what it means for the device record (wipe: WIPED; retire: RETIRED). */
  purpose?: "wipe" | "retire";
}

type Ctx = { ip: string | null; userAgent: string | null };

/** Seconds before each look at an operation that is not done yet; the last one repeats until the command expires. */
const FOLLOW_S = [5, 15, 30, 60, 300];
/** Seconds before each new try after a quota (429), server (5xx) or network error. */
const RETRY_S = [10, 30, 60, 300, 900];

/** Inserts the command (QUEUED) and hands it to the android-command job. */
export async function queueAndroidCommand(deviceId: string, type: AndroidCommandType, params: AndroidCommandParams, actor: Actor, ctx: Ctx, expiresInHours = DEFAULT_EXPIRY_HOURS): Promise<Command> {
  const { newPassword, ...visible } = params;
  const cmd = await prisma().command.create({
    data: {
      id: randomUUID(),
      deviceId,
      requestType: type,
      payload: { type, ...visible, ...(newPassword && { newPassword: "[sealed]" }) },
      sealedBody: newPassword ? seal(JSON.stringify({ newPassword }), SEALED) : null,
      queuedByLabel: actor.label,
      expiresAt: new Date(Date.now() + expiresInHours * 3_600_000),
    },
  });
  await audit({ actor, action: "command.enqueue", target: { type: "device", id: deviceId }, details: { requestType: type, commandUuid: cmd.id }, ...ctx });
  try {
    await sendJob(ANDROID_COMMAND_JOB, { commandId: cmd.id, step: 0 });
  } catch (e) {
    await prisma().command.update({ where: { id: cmd.id }, data: { status: "ERROR", sealedBody: null, errorChain: googleErrorChain({ message: "The command could not be queued" }) } });
    throw e;
  }
  return cmd;
}

/** The AMAPI Command body of an issueCommand type. */
export function commandBody(type: Exclude<AndroidCommandType, "DELETE">, p: AndroidCommandParams): Record<string, unknown> {
  const msg = (v: string | undefined) => (v ? { defaultMessage: v } : undefined);
  switch (type) {
    case "RESET_PASSWORD":
      return { type, newPassword: p.newPassword ?? "" };
    case "START_LOST_MODE":
      return {
        type,
        startLostModeParams: Object.fromEntries(Object.entries({
          lostMessage: msg(p.lostMessage), lostPhoneNumber: msg(p.lostPhoneNumber), lostEmailAddress: p.lostEmailAddress,
          lostStreetAddress: msg(p.lostStreetAddress), lostOrganization: msg(p.lostOrganization),
        }).filter(([, v]) => v !== undefined)),
      };
    case "STOP_LOST_MODE":
      return { type, stopLostModeParams: {} };
    default:
      return { type };
  }
}

/** 429, 5xx and network failures pass; anything else is Google's answer to this command. */
function retryable(e: unknown): boolean {
  if (!isUserError(e)) return false;
  if (e.code === "android.network") return true;
  const status = Number(e.params.status);
  return e.code === "android.http" && (status === 429 || status >= 500);
}

function reasonOf(e: unknown): { code?: number | string; status?: string; message: string } {
  if (!isUserError(e)) return { message: (e as Error).message.slice(0, 300) };
  if (e.code === "android.notFound") return { code: 404, status: "NOT_FOUND", message: "The device no longer exists in Google's Android Management API." };
  const status = { "android.forbidden": 403, "android.badRequest": 400, "android.authFailed": 401 }[e.code] ?? e.params.status;
  return { code: status, message: String(e.params.detail || e.code).slice(0, 300) };
}

const later = (commandId: string, step: number, seconds: number) => sendJob(ANDROID_COMMAND_JOB, { commandId, step }, { startAfter: seconds });

/**
 * One turn of the android-command job: issue a QUEUED command (claimed first, so it goes to
 * Google once), or look at the operation of a SENT one. Schedules its own next turn.
 */
export async function carryOutAndroidCommand(commandId: string, step = 0, now = new Date()): Promise<string> {
  const c = await prisma().command.findUnique({ where: { id: commandId }, include: { device: { select: { id: true, amapiName: true } } } });
  if (!c || (c.status !== "QUEUED" && c.status !== "SENT")) return "finished";
  if (c.expiresAt <= now) {
    await prisma().command.updateMany({ where: { id: c.id, status: { in: ["QUEUED", "SENT"] } }, data: { status: "EXPIRED", sealedBody: null } });
    return "expired";
  }
  const row = await configOrThrow();
  if (c.status === "SENT") {
    if (!c.amapiOperation) {
      // Claimed but never recorded (a crash in between): whether Google got it is unknown.
      if (c.sentAt && now.getTime() - c.sentAt.getTime() > 5 * 60_000) {
        await prisma().command.updateMany({ where: { id: c.id, status: "SENT", amapiOperation: null }, data: { status: "ERROR", respondedAt: now, sealedBody: null, errorChain: googleErrorChain({ message: "Mamori stopped while sending this command; whether the device got it is unknown" }) } });
        return "unknown";
      }
      await later(c.id, step + 1, 60);
      return "waiting";
    }
    try {
      const op = await getOperation(await accessToken(row, now), c.amapiOperation);
      await applyOperation(op, now);
      if (op.done) return "done";
    } catch (e) {
      if (!retryable(e)) {
        await prisma().command.updateMany({ where: { id: c.id, status: "SENT" }, data: { status: "ERROR", respondedAt: now, errorChain: googleErrorChain(reasonOf(e)) } });
        return "failed";
      }
    }
    await later(c.id, step + 1, FOLLOW_S[Math.min(step, FOLLOW_S.length - 1)]!);
    return "following";
  }
  // QUEUED: claim it, then call Google.
  // (attempts stays 0: the MDM sweep's "device did not answer" counts Apple deliveries, not Google calls.)
  const { count } = await prisma().command.updateMany({ where: { id: c.id, status: "QUEUED" }, data: { status: "SENT", sentAt: now } });
  if (!count) return "taken";
  const type = c.requestType as AndroidCommandType;
  const p = { ...(c.payload as AndroidCommandParams), ...(c.sealedBody ? (JSON.parse(openString(c.sealedBody, SEALED)) as AndroidCommandParams) : {}) };
  try {
    if (!c.device.amapiName) throw Object.assign(new Error("This device has no Android Management API name"), { permanent: true });
    const token = await accessToken(row, now);
    if (type === "DELETE") {
      await deleteDevice(token, c.device.amapiName, { wipeDataFlags: p.wipeDataFlags, wipeReasonMessage: p.wipeReasonMessage });
      await prisma().command.updateMany({ where: { id: c.id, status: "SENT" }, data: { status: "ACKNOWLEDGED", respondedAt: now, sealedBody: null } });
      await prisma().device.update({ where: { id: c.deviceId }, data: { status: p.purpose === "retire" ? "RETIRED" : "WIPED" } });
      return "done";
    }
    const op = await issueCommand(token, c.device.amapiName, commandBody(type, p));
    // The passcode has reached Google: nothing keeps it any longer.
    await prisma().command.update({ where: { id: c.id }, data: { amapiOperation: op.name, sealedBody: null } });
    if (op.done) {
      await applyOperation(op, now);
      return "done";
    }
    await later(c.id, 0, FOLLOW_S[0]!);
    return "issued";
  } catch (e) {
    if (retryable(e)) {
      // Google did not take it (quota) or may not have: back to the queue, tried again later.
      await prisma().command.updateMany({ where: { id: c.id, status: "SENT", amapiOperation: null }, data: { status: "QUEUED", sentAt: null } });
      await later(c.id, step + 1, RETRY_S[Math.min(step, RETRY_S.length - 1)]!);
      return "retry";
    }
    await prisma().command.updateMany({ where: { id: c.id, status: "SENT" }, data: { status: "ERROR", respondedAt: now, sealedBody: null, errorChain: googleErrorChain(reasonOf(e)) } });
    await audit({ actor: { id: null, label: "android-command" }, action: "android.command", result: "FAILURE", target: { type: "device", id: c.deviceId }, details: { requestType: type, commandUuid: c.id, reason: reasonOf(e) } });
    return "failed";
  }
}
