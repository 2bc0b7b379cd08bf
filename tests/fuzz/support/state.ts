import { prisma } from "@/lib/db/client";

// What a refused input must leave alone: one row of counts and digests over the tables a device,
// an upload or a SCEP request could write. Refusals may add DENIED/FAILURE audit rows and
// rate-limit counters; nothing else. One statement, so it can run after every case.

const SQL = `SELECT
  (SELECT count(*) FROM devices)::int AS devices,
  (SELECT md5(coalesce(string_agg(id::text || status || coalesce(udid, '') || coalesce(identity_fingerprint, '') || updated_at::text, ',' ORDER BY id), '')) FROM devices) AS devices_digest,
  (SELECT md5(coalesce(string_agg(id::text || status || coalesce(responded_at::text, '') || attempts, ',' ORDER BY id), '')) FROM commands) AS commands_digest,
  (SELECT count(*) FROM device_users)::int AS device_users,
  (SELECT md5(coalesce(string_agg(device_id::text || kind || updated_at::text, ',' ORDER BY device_id, kind), '')) FROM device_inventory) AS inventory_digest,
  (SELECT md5(coalesce(string_agg(id::text || updated_at::text, ',' ORDER BY id), '')) FROM user_certificates) AS user_certificates,
  (SELECT md5(coalesce(string_agg(id::text || status, ',' ORDER BY id), '')) FROM push_certificates) AS push_certificates,
  (SELECT count(*) FROM push_certificate_requests)::int AS push_requests,
  (SELECT md5(coalesce(string_agg(uploaded_at::text, ','), '')) FROM vendor_certificates) AS vendor_certificates,
  (SELECT md5(coalesce(string_agg(coalesce(uploaded_at::text, '-') || coalesce(consumer_key, '-'), ','), '')) FROM ade_tokens) AS ade_tokens,
  (SELECT count(*) FROM enrollments WHERE challenge_used_at IS NOT NULL)::int AS challenges_used,
  (SELECT count(*) FROM certificate_authorities)::int AS certificate_authorities,
  (SELECT count(*) FROM users)::int AS users,
  (SELECT count(*) FROM audit_events WHERE result NOT IN ('DENIED', 'FAILURE'))::int AS audit_non_refusals`;

export type State = Record<string, string | number>;

export async function snapshot(): Promise<State> {
  const rows = await prisma().$queryRawUnsafe<State[]>(SQL);
  return rows[0]!;
}

/** The columns that differ between two snapshots, as "name: before → after". */
export function changes(before: State, after: State): string[] {
  return Object.keys(before).filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k]} → ${after[k]}`);
}

/**
 * Tracks state across cases: `check(refused)` compares with the previous snapshot when the case
 * was refused (nothing may have changed) and moves the baseline on either way.
 */
export class StateGuard {
  private last: State | null = null;
  async start(): Promise<void> {
    this.last = await snapshot();
  }
  /** Call after an accepted input that changed state through the test's own cleanup. */
  async rebase(): Promise<void> {
    this.last = await snapshot();
  }
  async check(refused: boolean): Promise<string | null> {
    const now = await snapshot();
    const diff = refused && this.last ? changes(this.last, now) : [];
    this.last = now;
    return diff.length ? `refused, yet stored: ${diff.join("; ")}` : null;
  }
}
