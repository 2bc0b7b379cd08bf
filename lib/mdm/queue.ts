import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { open } from "@/lib/crypto";
import { UserError } from "@/lib/errors";
import type { Command, Prisma } from "@/lib/db/generated/client";

// The durable command queue: what goes in. Order is per device (seq); handing commands out and
// recording answers is the device path's storage (lib/mdm/storage.ts).

export interface BuiltCommand {
  requestType: string;
  command: Record<string, unknown> & { RequestType: string };
}

/** Keys whose values must not be readable in the database (or the audit log). */
export const SECRET_KEYS = new Set(["UnlockToken", "PIN", "Payload", "Password"]);
export const SEALED = "command-body";
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

/** The Command dictionary to send, secrets unsealed. */
export function commandBody(c: Pick<Command, "payload" | "sealedBody">): Record<string, unknown> {
  if (c.sealedBody) return revive(JSON.parse(open(c.sealedBody, SEALED).toString("utf8"))) as Record<string, unknown>;
  return revive(c.payload) as Record<string, unknown>;
}

export async function cancelCommand(commandId: string, actor: Actor, ctx: { ip: string | null; userAgent: string | null }) {
  const { count } = await prisma().command.updateMany({ where: { id: commandId, status: { in: ["QUEUED", "NOT_NOW"] } }, data: { status: "CANCELLED", sealedBody: null } });
  if (!count) throw new UserError("command.notCancellable");
  const c = await prisma().command.findUniqueOrThrow({ where: { id: commandId } });
  await audit({ actor, action: "command.cancel", target: { type: "device", id: c.deviceId }, details: { requestType: c.requestType, commandUuid: c.id }, ...ctx });
}
