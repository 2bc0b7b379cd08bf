import { pool } from "@/lib/db/client";
import { errorChainText } from "@/lib/mdm/results";

// What a bulk action really did, device by device, as its commands come back: "queued for 5"
// is not "done on 5". A device counts as failed when any of the run's commands failed on it,
// done when all were acknowledged, put off while the device answered NotNow, and waiting while
// a command is queued or sent. Read through the (batch_id, status) index.

export interface BulkOutcome {
  /** Devices the run queued commands for. */
  devices: number;
  done: number;
  failed: number;
  notNow: number;
  waiting: number;
  /** Expired or cancelled before the device answered. */
  ended: number;
  /** Nothing left to wait for. */
  finished: boolean;
  /** The commonest failure reasons, as the device or Google gave them. */
  reasons: { text: string; devices: number }[];
}

const REASONS = 5;

export async function bulkOutcome(batchId: string): Promise<BulkOutcome> {
  const [counts, reasons] = await Promise.all([
    pool().query<Omit<BulkOutcome, "finished" | "reasons">>({
      name: "bulk-outcome",
      text: `WITH per AS (
               SELECT device_id,
                      bool_or(status = 'ERROR') AS failed,
                      bool_or(status IN ('QUEUED', 'SENT')) AS waiting,
                      bool_or(status = 'NOT_NOW') AS not_now,
                      bool_and(status = 'ACKNOWLEDGED') AS done
               FROM commands WHERE batch_id = $1 GROUP BY device_id)
             SELECT count(*)::int AS devices,
                    count(*) FILTER (WHERE failed)::int AS failed,
                    count(*) FILTER (WHERE NOT failed AND done)::int AS done,
                    count(*) FILTER (WHERE NOT failed AND not_now)::int AS "notNow",
                    count(*) FILTER (WHERE NOT failed AND NOT not_now AND waiting)::int AS waiting,
                    count(*) FILTER (WHERE NOT failed AND NOT done AND NOT not_now AND NOT waiting)::int AS ended
             FROM per`,
      values: [batchId],
    }),
    pool().query<{ chain: unknown; devices: number }>({
      name: "bulk-outcome-reasons",
      text: `SELECT error_chain AS chain, count(DISTINCT device_id)::int AS devices
             FROM commands WHERE batch_id = $1 AND status = 'ERROR'
             GROUP BY error_chain ORDER BY devices DESC LIMIT ${REASONS}`,
      values: [batchId],
    }),
  ]);
  const c = counts.rows[0]!;
  const merged = new Map<string, number>();
  for (const r of reasons.rows) {
    const text = errorChainText(r.chain) ?? "";
    merged.set(text, (merged.get(text) ?? 0) + r.devices);
  }
  return {
    ...c,
    finished: c.waiting === 0 && c.notNow === 0,
    reasons: [...merged].map(([text, devices]) => ({ text, devices })).sort((a, b) => b.devices - a.devices),
  };
}
