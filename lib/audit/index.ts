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
      actorLabel: e.actor.label.slice(0, 320),
      action: e.action,
      result: e.result ?? "SUCCESS",
      targetType: e.target?.type,
      targetId: e.target?.id ?? undefined,
      targetLabel: e.target?.label ?? undefined,
      ip: e.ip ?? undefined,
      userAgent: e.userAgent?.slice(0, 500) ?? undefined,
      details: (e.details as Prisma.InputJsonValue) ?? undefined,
    },
  });
}

export const ANONYMOUS: Actor = { id: null, label: "anonymous" };
