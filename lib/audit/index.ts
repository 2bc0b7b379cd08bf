import { prisma } from "@/lib/db/client";
import type { AuditResult, Prisma } from "@/lib/db/generated/client";

export interface Actor {
  id: string | null;
  label: string;
}

export interface AuditInput {
  actor: Actor;
  action: string;
  result?: AuditResult;
  target?: { type: string; id?: string | null; label?: string | null };
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

/** The one way to write an audit event. `action` is dotted: "auth.login", "setup.complete". */
export async function audit(e: AuditInput, db: Pick<Prisma.TransactionClient, "auditEvent"> = prisma()) {
  await db.auditEvent.create({
    data: {
      actorId: e.actor.id,
      actorLabel: text(e.actor.label).slice(0, 320),
      action: e.action,
      result: e.result ?? "SUCCESS",
      targetType: e.target?.type,
      targetId: e.target?.id != null ? text(e.target.id) : undefined,
      targetLabel: e.target?.label != null ? text(e.target.label) : undefined,
      ip: e.ip != null ? text(e.ip) : undefined,
      userAgent: e.userAgent != null ? text(e.userAgent).slice(0, 500) : undefined,
      details: e.details ? (storable(e.details) as Prisma.InputJsonValue) : undefined,
    },
  });
}

// Refusals record what was asked for, which may hold a NUL (a path with %00): PostgreSQL text and
// jsonb cannot store one, and the refusal would fail with a 500 instead.
const text = (s: string) => s.replace(/\0/g, "");

function storable(v: unknown): unknown {
  if (typeof v === "string") return text(v);
  if (Array.isArray(v)) return v.map(storable);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), storable(x)]));
  }
  return v;
}

export const ANONYMOUS: Actor = { id: null, label: "anonymous" };
