import { pool } from "@/lib/db/client";
import { HISTORY_LIMIT } from "./detail";

// What the admin device page shows, as a version the page can poll cheaply (one indexed
// statement): the device row, its last check-in and the commands in the page's history. The
// page re-renders when the version changes (components/live-refresh.tsx).

export interface DeviceLive {
  version: string;
  /** Commands waiting for the device or Google: queued, sent, or put off (NotNow). */
  pending: number;
}

export async function deviceLive(deviceId: string): Promise<DeviceLive | null> {
  const { rows } = await pool().query<{ version: string; pending: number }>({
    name: "device-live",
    text: `SELECT md5(d.updated_at::text || '|' || coalesce(d.last_check_in_at::text, '') || '|' || d.status::text || '|' ||
                  coalesce(string_agg(c.id::text || c.status::text || coalesce(c.sent_at::text, '') || coalesce(c.responded_at::text, '') || c.attempts::text, ',' ORDER BY c.seq), '')) AS version,
                  (count(c.id) FILTER (WHERE c.status IN ('QUEUED', 'SENT', 'NOT_NOW')))::int AS pending
           FROM devices d
           LEFT JOIN LATERAL (SELECT id, seq, status, sent_at, responded_at, attempts FROM commands WHERE device_id = d.id ORDER BY seq DESC LIMIT ${HISTORY_LIMIT}) c ON true
           WHERE d.id = $1
           GROUP BY d.id`,
    values: [deviceId],
  });
  return rows[0] ?? null;
}
