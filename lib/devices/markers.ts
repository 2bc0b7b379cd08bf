import { createHash } from "node:crypto";
import { pool } from "@/lib/db/client";

// The device list's per-row markers: commands still waiting (queued or sent), put off by the
// device (NotNow), and failed in the last week. One statement for the rows on the page, read
// through the (device_id, status, seq) index, never the whole commands table. The same rows
// give the version the list polls to refresh itself while something is under way
// (components/live-refresh.tsx), so the page and the poll read them once each.

export interface DeviceMarkers {
  pending: number;
  notNow: number;
  failed: number;
}

export interface DeviceListState {
  markers: Map<string, DeviceMarkers>;
  /** A version of what the list shows for these rows (status, name, check-in, markers). */
  version: string;
  /** Something is under way: the page polls faster. */
  pending: boolean;
}

const FAILED_WINDOW_MS = 7 * 86_400_000;

type Row = DeviceMarkers & { id: string; status: string; name: string | null; checkIn: string | null };

export async function deviceListState(ids: string[], now = new Date()): Promise<DeviceListState> {
  if (!ids.length) return { markers: new Map(), version: "", pending: false };
  const { rows } = await pool().query<Row>({
    name: "device-list-state",
    text: `SELECT d.id, d.status::text AS status, d.name, d.last_check_in_at::text AS "checkIn",
                  coalesce(m.pending, 0) AS pending, coalesce(m."notNow", 0) AS "notNow", coalesce(m.failed, 0) AS failed
           FROM devices d
           LEFT JOIN LATERAL (
             SELECT count(*) FILTER (WHERE status IN ('QUEUED', 'SENT'))::int AS pending,
                    count(*) FILTER (WHERE status = 'NOT_NOW')::int AS "notNow",
                    count(*) FILTER (WHERE status = 'ERROR' AND created_at > $2)::int AS failed
             FROM commands
             WHERE device_id = d.id AND status IN ('QUEUED', 'SENT', 'NOT_NOW', 'ERROR')
           ) m ON true
           WHERE d.id = ANY($1::uuid[])
           ORDER BY d.id`,
    values: [ids, new Date(now.getTime() - FAILED_WINDOW_MS)],
  });
  const markers = new Map<string, DeviceMarkers>();
  const hash = createHash("md5");
  let pending = false;
  for (const r of rows) {
    if (r.pending || r.notNow || r.failed) markers.set(r.id, { pending: r.pending, notNow: r.notNow, failed: r.failed });
    pending ||= r.pending > 0 || r.notNow > 0;
    hash.update(JSON.stringify([r.id, r.status, r.name, r.checkIn, r.pending, r.notNow, r.failed]));
  }
  return { markers, version: hash.digest("hex"), pending };
}

export async function deviceMarkers(ids: string[], now = new Date()): Promise<Map<string, DeviceMarkers>> {
  return (await deviceListState(ids, now)).markers;
}

/** What the list's poll reads: the version and whether anything is under way. */
export async function deviceListLive(ids: string[], now = new Date()): Promise<{ version: string; pending: boolean }> {
  const { version, pending } = await deviceListState(ids, now);
  return { version, pending };
}
