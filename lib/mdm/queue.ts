import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { open } from "@/lib/crypto";
import { UserError } from "@/lib/errors";
import type { Command, Prisma } from "@/lib/db/generated/client";

// The durable command queue. Order is per device (seq); a command is handed out with
// FOR UPDATE SKIP LOCKED so instances never hand out the same one twice; an unanswered,
// errored or expired command never blocks the ones behind it.

export interface BuiltCommand {
  requestType: string;
  command: Record<string, unknown> & { RequestType: string };
}

/** Keys whose values must not be readable in the database (or the audit log). */
export const SECRET_KEYS = new Set(["UnlockToken", "PIN", "Payload", "Password"]);
export const SEALED = "command-body";
export const MAX_SEND_ATTEMPTS = 3;
/** A sent command is handed out again only after this long without an answer. */
export const RESEND_AFTER_MS = 2 * 60_000;
export const DEFAULT_EXPIRY_HOURS = 72;

export function redact(command: Record<string, unknown>): Prisma.InputJsonValue {
  return Object.fromEntries(Object.entries(command).map(([k, v]) => [k, SECRET_KEYS.has(k) ? "[sealed]" : jsonSafe(v)])) as Prisma.InputJsonValue;
}

/** Plist values to JSON: bytes as {base64}, dates as ISO strings. */
export function jsonSafe(v: unknown): unknown {
  if (v instanceof Uint8Array) return { base64: Buffer.from(v).toString("base64") };
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.base64 === "string" && Object.keys(o).length === 1) return Buffer.from(o.base64, "base64");
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

// Commands are queued in ./enqueue; re-exported for callers not yet moved there
// (lib/mdm/service.ts, scripts/bench.ts).
export { enqueueCommand } from "./enqueue";

/** The Command dictionary to send, secrets unsealed. */
export function commandBody(c: Pick<Command, "payload" | "sealedBody">): Record<string, unknown> {
  if (c.sealedBody) return revive(JSON.parse(open(c.sealedBody, SEALED).toString("utf8"))) as Record<string, unknown>;
  return revive(c.payload) as Record<string, unknown>;
}

/**
 * The next command for a device, marked SENT. Commands that got a NotNow during this
 * connection (answered at or after `connectionStart`, the device's Idle) are not sent again in
 * it: the device re-polls by itself only if NotNow was its last answer. A command left unanswered is sent again after RESEND_AFTER_MS (the device
 * lost it), and after MAX_SEND_ATTEMPTS sends becomes ERROR.
 */
export async function nextCommand(deviceId: string, connectionStart: Date | null, now = new Date()): Promise<Command | null> {
  return prisma().$transaction(async (tx) => {
    await tx.$executeRaw`UPDATE commands SET status = 'EXPIRED', sealed_body = NULL WHERE device_id = ${deviceId}::uuid AND status IN ('QUEUED', 'NOT_NOW', 'SENT') AND expires_at <= ${now}`;
    await tx.$executeRaw`UPDATE commands SET status = 'ERROR', sealed_body = NULL, responded_at = ${now}, error_chain = '[{"code":null,"domain":"Mamori","description":"The device did not answer"}]'::jsonb
      WHERE device_id = ${deviceId}::uuid AND status = 'SENT' AND attempts >= ${MAX_SEND_ATTEMPTS}`;
    const resendBefore = new Date(now.getTime() - RESEND_AFTER_MS);
    const since = connectionStart ?? new Date(8.64e15);
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM commands WHERE device_id = ${deviceId}::uuid AND expires_at > ${now}
        AND (status = 'QUEUED'
          OR (status = 'NOT_NOW' AND responded_at < ${since})
          OR (status = 'SENT' AND sent_at <= ${resendBefore}))
      ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED`;
    if (!rows[0]) return null;
    return tx.command.update({ where: { id: rows[0].id }, data: { status: "SENT", sentAt: now, attempts: { increment: 1 } } });
  });
}

export type ResultStatus = "Acknowledged" | "Error" | "CommandFormatError" | "NotNow";

/** Records a device's answer; a repeated answer for a finished command changes nothing. */
export async function recordAnswer(
  deviceId: string,
  commandUuid: string,
  status: ResultStatus,
  data: { result?: unknown; errorChain?: unknown },
  now = new Date(),
): Promise<Command | null> {
  const next = status === "Acknowledged" ? "ACKNOWLEDGED" : status === "NotNow" ? "NOT_NOW" : "ERROR";
  const id = commandUuid.toUpperCase();
  const { count } = await prisma().command.updateMany({
    where: { id, deviceId, status: { in: ["SENT", "NOT_NOW"] } },
    data: {
      status: next,
      respondedAt: now,
      ...(data.result !== undefined && { result: jsonSafe(data.result) as Prisma.InputJsonValue }),
      ...(data.errorChain !== undefined && { errorChain: jsonSafe(data.errorChain) as Prisma.InputJsonValue }),
      // Sent secrets are no longer needed once the device has answered for good.
      ...(next !== "NOT_NOW" && { sealedBody: null }),
    },
  });
  if (!count) return null;
  return prisma().command.findUnique({ where: { id } });
}

export async function cancelCommand(commandId: string, actor: Actor, ctx: { ip: string | null; userAgent: string | null }) {
  const { count } = await prisma().command.updateMany({ where: { id: commandId, status: { in: ["QUEUED", "NOT_NOW"] } }, data: { status: "CANCELLED", sealedBody: null } });
  if (!count) throw new UserError("command.notCancellable");
  const c = await prisma().command.findUniqueOrThrow({ where: { id: commandId } });
  await audit({ actor, action: "command.cancel", target: { type: "device", id: c.deviceId }, details: { requestType: c.requestType, commandUuid: c.id }, ...ctx });
}
