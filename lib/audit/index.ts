import { prisma } from "@/lib/db/client";
import type { AuditResult, Prisma } from "@/lib/db/generated/client";
import { withoutNul, withoutNulDeep } from "@/lib/db/text";

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

/**
 * The one way to write an audit event. `action` is dotted: "auth.login", "setup.complete".
 * Refusals record what was asked for, NULs (a path with %00) dropped: see lib/db/text.ts.
 */
export async function audit(e: AuditInput, db: Pick<Prisma.TransactionClient, "auditEvent"> = prisma()) {
  await db.auditEvent.create({
    data: {
      actorId: e.actor.id,
      actorLabel: withoutNul(e.actor.label).slice(0, 320),
      action: e.action,
      result: e.result ?? "SUCCESS",
      targetType: e.target?.type,
      targetId: e.target?.id != null ? withoutNul(e.target.id) : undefined,
      targetLabel: e.target?.label != null ? withoutNul(e.target.label) : undefined,
      ip: e.ip != null ? withoutNul(e.ip) : undefined,
      userAgent: e.userAgent != null ? withoutNul(e.userAgent).slice(0, 500) : undefined,
      details: e.details ? (withoutNulDeep(e.details) as Prisma.InputJsonValue) : undefined,
    },
  });
}

export const ANONYMOUS: Actor = { id: null, label: "anonymous" };
