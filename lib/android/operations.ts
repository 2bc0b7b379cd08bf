import { prisma } from "@/lib/db/client";
import { jsonSafe } from "@/lib/mdm/queue";
import type { Prisma } from "@/lib/db/generated/client";
import type { AmapiOperation } from "./client";

// The end of an Android command: Google's long-running operation, read by the command job
// (operations.get) or pushed by a COMMAND notification (Pub/Sub), turned into the command's
// state. Either may come first, or twice: only a command still under way changes.

const UNDER_WAY = ["QUEUED", "SENT"] as const;

/** Google's error as the one error-chain shape the console and portal show (lib/mdm/results errorChainText). */
export function googleErrorChain(e: { code?: number | string | null; status?: string | null; message?: string | null }): Prisma.InputJsonValue {
  return [{ code: e.code ?? null, domain: e.status ? `Google ${e.status}` : "Google", description: e.message || e.status || "Google reported an error" }];
}

/**
 * Applies an operation to the command whose amapi_operation is `op.name`: done without error →
 * ACKNOWLEDGED with Google's response, done with an error → ERROR with Google's reason, not done
 * → left SENT. Idempotent. Returns whether a command matched.
 */
export async function applyOperation(op: AmapiOperation, now = new Date()): Promise<boolean> {
  const c = await prisma().command.findUnique({ where: { amapiOperation: op.name }, select: { id: true, deviceId: true, requestType: true } });
  if (!c) return false;
  if (!op.done) return true;
  const data: Prisma.CommandUpdateManyMutationInput = op.error
    ? { status: "ERROR", respondedAt: now, sealedBody: null, errorChain: googleErrorChain(op.error) }
    : { status: "ACKNOWLEDGED", respondedAt: now, sealedBody: null, result: (jsonSafe(op.response ?? op.metadata ?? null) ?? undefined) as Prisma.InputJsonValue | undefined };
  const { count } = await prisma().command.updateMany({ where: { id: c.id, status: { in: [...UNDER_WAY] } }, data });
  // Lost mode is the device's state too (the sync reads it as state LOST); known at once here.
  if (count && !op.error && (c.requestType === "START_LOST_MODE" || c.requestType === "STOP_LOST_MODE")) {
    await prisma().device.update({ where: { id: c.deviceId }, data: { lostMode: c.requestType === "START_LOST_MODE" } });
  }
  return true;
}
