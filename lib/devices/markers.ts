import { pool } from "@/lib/db/client";

// The device list's per-row markers: commands still waiting (queued or sent), put off by the
// device (NotNow), and failed in the last week. One statement for the rows on the page, read
// through the (device_id, status, seq) index, never the whole commands table. Its version
// lets the list refresh itself while something is under way (components/live-refresh.tsx).

export interface DeviceMarkers {
  pending: number;
  notNow: number;
  failed: number;
}

const FAILED_WINDOW_MS = 7 * 86_400_000;

export async function deviceMarkers(ids: string[], now = new Date()): Promise<Map<string, DeviceMarkers>> {
  const out = new Map<string, DeviceMarkers>();
  if (!ids.length) return out;
  const { rows } = await pool().query<DeviceMarkers & { id: string }>({
    name: "device-markers",
    text: `SELECT device_id AS id,
                  count(*) FILTER (WHERE status IN ('QUEUED', 'SENT'))::int AS pending,
                  count(*) FILTER (WHERE status = 'NOT_NOW')::int AS "notNow",
                  count(*) FILTER (WHERE status = 'ERROR' AND created_at > $2)::int AS failed
           FROM commands
           WHERE device_id = ANY($1::uuid[]) AND status IN ('QUEUED', 'SENT', 'NOT_NOW', 'ERROR')
           GROUP BY device_id`,
    values: [ids, new Date(now.getTime() - FAILED_WINDOW_MS)],
  });
  for (const r of rows) if (r.pending || r.notNow || r.failed) out.set(r.id, { pending: r.pending, notNow: r.notNow, failed: r.failed });
  return out;
}

/**
 * A version of what the list shows for these rows (status, name, check-in, markers), a few
 * bytes to poll, and whether anything is under way (the page then polls faster).
 */
export async function deviceListLive(ids: string[], now = new Date()): Promise<{ version: string; pending: boolean }> {
  if (!ids.length) return { version: "", pending: false };
  const { rows } = await pool().query<{ version: string; pending: boolean }>({
    name: "device-list-live",
    text: `SELECT md5(coalesce(string_agg(d.id::text || d.status::text || coalesce(d.name, '') || coalesce(d.last_check_in_at::text, '')
                                        || coalesce(m.v, ''), ',' ORDER BY d.id), '')) AS version,
                  coalesce(bool_or(m.pending), false) AS pending
           FROM devices d
           LEFT JOIN LATERAL (
             SELECT string_agg(c.status::text || c.n::text, '/' ORDER BY c.status) AS v,
                    bool_or(c.status IN ('QUEUED', 'SENT', 'NOT_NOW')) AS pending
             FROM (SELECT status, count(*) AS n FROM commands
                   WHERE device_id = d.id AND status IN ('QUEUED', 'SENT', 'NOT_NOW', 'ERROR')
                     AND (status <> 'ERROR' OR created_at > $2)
                   GROUP BY status) c
           ) m ON true
           WHERE d.id = ANY($1::uuid[])`,
    values: [ids, new Date(now.getTime() - FAILED_WINDOW_MS)],
  });
  return rows[0] ?? { version: "", pending: false };
}
