import { prisma } from "@/lib/db/client";
import { getSetting, type Settings } from "@/lib/settings";
import type { Progress } from "@/lib/jobs/progress";

// Deletes what the retention setting no longer keeps, a batch per statement: each statement
// locks at most BATCH rows for a moment, and SKIP LOCKED lets two instances prune side by side.

export const PRUNE_BATCH = 10_000;

/** Commands in these states are done with; queued, sent and NotNow ones are never pruned. */
const FINISHED = ["ACKNOWLEDGED", "ERROR", "EXPIRED", "CANCELLED"];

const DAY_MS = 86_400_000;

interface Target {
  table: string;
  key: string;
  /** SQL condition on $1, the cutoff, and `args` from $2 on. */
  older: string;
  args?: unknown[];
  setting: keyof Settings["retention"];
}

// Outcome key → what goes. Tickets: sign-in/QR tickets, email changes and password resets, once used or expired.
const TARGETS: Record<string, Target[]> = {
  commands: [{ table: "commands", key: "id", older: `status = ANY($2::"CommandStatus"[]) AND created_at < $1`, args: [FINISHED], setting: "commandDays" }],
  auditEvents: [{ table: "audit_events", key: "id", older: `at < $1`, setting: "auditDays" }],
  tickets: [
    { table: "enrollment_tickets", key: "id", older: `(expires_at < $1 OR used_at < $1)`, setting: "ticketDays" },
    { table: "email_changes", key: "id", older: `(expires_at < $1 OR used_at < $1)`, setting: "ticketDays" },
    { table: "password_resets", key: "id", older: `(expires_at < $1 OR used_at < $1)`, setting: "ticketDays" },
  ],
  rateLimits: [{ table: "rate_limits", key: "key", older: `window_start < $1`, setting: "rateLimitDays" }],
  mails: [{ table: "mail_messages", key: "id", older: `created_at < $1`, setting: "mailDays" }],
};

export type PruneOutcome = Record<keyof typeof TARGETS, number>;

async function pruneTable(t: Target, cutoff: Date, batch: number, progress?: Progress): Promise<number> {
  const sql = `DELETE FROM ${t.table} WHERE ${t.key} IN (
    SELECT ${t.key} FROM ${t.table} WHERE ${t.older} LIMIT ${batch} FOR UPDATE SKIP LOCKED)`;
  let total = 0;
  for (;;) {
    const n = await prisma().$executeRawUnsafe(sql, cutoff, ...(t.args ?? []));
    total += n;
    await progress?.add(n);
    if (n < batch) return total;
  }
}

/** Prunes every kind of record older than its retention setting; returns how many rows went. */
export async function pruneExpired(now = new Date(), progress?: Progress, batch = PRUNE_BATCH): Promise<PruneOutcome> {
  const keep = await getSetting("retention");
  const out = {} as PruneOutcome;
  for (const [name, targets] of Object.entries(TARGETS)) {
    out[name] = 0;
    for (const t of targets) out[name] += await pruneTable(t, new Date(now.getTime() - keep[t.setting] * DAY_MS), batch, progress);
  }
  return out;
}
