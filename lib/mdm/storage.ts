import { pool } from "@/lib/db/client";

// The device path's storage: a few named SQL statements on the shared pg pool, as NanoMDM keeps
// storage/ apart from service/. A connect request, Idle or one that reports an answer and
// receives the next command, costs one statement (connect). Expiry and the give-up after
// MAX_SEND_ATTEMPTS are swept by a job (sweepCommands), not per request.

export const MAX_SEND_ATTEMPTS = 3;
/** A sent command is handed out again only after this long without an answer. */
export const RESEND_AFTER_MS = 2 * 60_000;
/** last_check_in_at is written at most this often per device (and after each push). */
export const LAST_SEEN_EVERY_MS = 60_000;

export type AnswerStatus = "ACKNOWLEDGED" | "ERROR" | "NOT_NOW";

/**
 * Request types whose acknowledgement carries a result to read, with the key that marks it. The
 * device path guesses the answered command's type from that key, so one statement can record
 * the read result; the statement checks the guess against the queued command.
 */
export const RESULT_KEYS = {
  DeviceInformation: "QueryResponses",
  SecurityInfo: "SecurityInfo",
  InstalledApplicationList: "InstalledApplicationList",
  ProfileList: "ProfileList",
  CertificateList: "CertificateList",
  DeviceLocation: "Latitude",
} as const;

/** What an acknowledged command without a result changes on the device. */
const ACK_EFFECTS: Record<string, DevicePatch> = {
  EraseDevice: { status: "WIPED", push_token: null, push_magic: null, unlock_token_sealed: null },
  EnableLostMode: { lost_mode: true },
  // The position was asked for lost mode; leaving it ends the reason to keep it.
  DisableLostMode: { lost_mode: false, location: null },
};
const sqlText = (v: string) => `'${v.replace(/'/g, "''")}'`;
// A Settings command that renamed the device: the name it sent is the device's name now.
const RENAMED_SQL = `jsonb_strip_nulls(jsonb_build_object('name', jsonb_path_query_first(ans.payload, '$.Settings[*] ? (@.Item == "DeviceName").DeviceName') #>> '{}'))`;
const EFFECTS_SQL = `CASE ans.request_type ${Object.entries(ACK_EFFECTS).map(([t, p]) => `WHEN ${sqlText(t)} THEN ${sqlText(JSON.stringify(p))}::jsonb`).join(" ")} WHEN 'Settings' THEN ${RENAMED_SQL} END`;
const UNREADABLE_SQL = `CASE c.request_type ${Object.entries(RESULT_KEYS).map(([t, k]) => `WHEN ${sqlText(t)} THEN ${sqlText(` (${k})`)}`).join(" ")} END`;

/** Device columns an answer may change, with their SQL types; written only when they differ. */
export const DEVICE_FIELDS = {
  name: "text",
  os_version: "text",
  build_version: "text",
  model: "text",
  model_name: "text",
  product_name: "text",
  serial_number: "text",
  imei: "text",
  meid: "text",
  phone_number: "text",
  capacity_gb: "double precision",
  supervised: "boolean",
  lost_mode: "boolean",
  location: "jsonb",
  status: '"DeviceStatus"',
  push_token: "text",
  push_magic: "text",
  unlock_token_sealed: "text",
} as const;
export type DeviceField = keyof typeof DEVICE_FIELDS;
/** Values to write; `null` clears the column. */
export type DevicePatch = Partial<Record<DeviceField, string | number | boolean | object | null>>;

export interface BoundDevice {
  deviceId: string;
  status: string;
}

export interface HandedCommand {
  id: string;
  requestType: string;
  payload: unknown;
  sealedBody: string | null;
}

/** The device bound to this identity, or null when the identity is not this UDID's. One statement. */
export async function lookupDevice(udid: string, fingerprint: string): Promise<BoundDevice | null> {
  const { rows } = await pool().query<{ id: string; status: string }>({
    name: "mdm-lookup-device",
    text: `SELECT id, status FROM devices WHERE udid = $1 AND identity_fingerprint = $2`,
    values: [udid, fingerprint],
  });
  const r = rows[0];
  return r ? { deviceId: r.id, status: r.status } : null;
}

export interface ConnectInput {
  udid: string;
  fingerprint: string;
  now: Date;
  /** Idle: the device starts a connection, so commands it put off (NotNow) are due again. */
  idle: boolean;
  answer?: {
    commandUuid: string;
    status: AnswerStatus;
    /** The request type the result was read as (from RESULT_KEYS); recorded only if the command is of it. */
    readAs?: string;
    result?: unknown;
    errorChain?: unknown;
    /** Inventory kind and data to keep, for inventory answers. */
    inventory?: { kind: string; data: unknown };
    /** Device columns the answer changes (written only if they differ). */
    patch?: DevicePatch;
  };
}

export interface ConnectOutput {
  /** Null when the identity is not bound to this UDID. */
  deviceId: string | null;
  /** The device was retired or wiped: nothing was recorded or handed out. */
  finished: boolean;
  /** True when the answer changed a command (a repeat of a finished one changes nothing). */
  recorded: boolean;
  /**
   * The answered command is of another type than the result was read as: nothing was recorded
   * or handed out; answer again with the result read as this type.
   */
  readAsInstead: string | null;
  next: HandedCommand | null;
}

const fieldNames = Object.keys(DEVICE_FIELDS) as DeviceField[];
// The patch (ap) exists only when the answer was recorded now: a repeat changes nothing.
const has = (f: DeviceField) => `ap.patch ? '${f}'`;
const SET_FIELDS = fieldNames
  .map((f) => `${f} = CASE WHEN ${has(f)} THEN ${cast(f)} ELSE ${f === "status" ? `(CASE WHEN d.status = 'INACTIVE' THEN 'ACTIVE'::"DeviceStatus" ELSE d.status END)` : `d.${f}`} END`)
  .join(",\n      ");
const FIELDS_DIFFER = fieldNames.map((f) => `(${has(f)} AND d.${f} IS DISTINCT FROM ${cast(f)})`).join("\n      OR ");
// Due once a minute, and at once when the device answers a push sent after its last check-in
// (someone pressed "check in now" and watches for it).
const SEEN_DUE = `(d.last_check_in_at IS NULL OR d.last_check_in_at < a.now - interval '${LAST_SEEN_EVERY_MS / 1000} seconds' OR d.last_push_at > d.last_check_in_at)`;

function cast(f: DeviceField): string {
  const t = DEVICE_FIELDS[f];
  return t === "jsonb" ? `(CASE WHEN jsonb_typeof(ap.patch->'${f}') = 'null' THEN NULL ELSE ap.patch->'${f}' END)` : `(ap.patch->>'${f}')::${t}`;
}

/**
 * One statement: checks the identity's binding, records the answer (and its inventory and device
 * changes), refreshes last-seen when it is a minute old, and hands out the next command with
 * FOR UPDATE SKIP LOCKED. The answered command is excluded from the hand-out: within one
 * statement the snapshot still shows it as SENT.
 */
export async function connect(input: ConnectInput): Promise<ConnectOutput> {
  const { rows } = await pool().query<{ device_id: string | null; device_status: string | null; recorded: boolean; read_as_instead: string | null; id: string | null; request_type: string | null; payload: unknown; sealed_body: string | null }>({
    name: "mdm-connect",
    text: CONNECT_SQL,
    values: connectValues(input),
  });
  const r = rows[0]!;
  return {
    deviceId: r.device_id,
    finished: r.device_status === "RETIRED" || r.device_status === "WIPED",
    recorded: r.recorded,
    readAsInstead: r.read_as_instead,
    next: r.id ? { id: r.id, requestType: r.request_type!, payload: r.payload, sealedBody: r.sealed_body } : null,
  };
}

/** Ends commands that can no longer go out: expired ones, and sent ones the device never answered. */
export async function sweepCommands(now = new Date()): Promise<{ expired: number; gaveUp: number }> {
  const expired = await pool().query(
    `UPDATE commands SET status = 'EXPIRED', sealed_body = NULL WHERE status IN ('QUEUED', 'NOT_NOW', 'SENT') AND expires_at <= $1`,
    [now],
  );
  const gaveUp = await pool().query(
    `UPDATE commands SET status = 'ERROR', sealed_body = NULL, responded_at = $1,
       error_chain = '[{"code":null,"domain":"Mamori","description":"The device did not answer"}]'::jsonb
     WHERE status = 'SENT' AND attempts >= $2 AND sent_at <= $3`,
    [now, MAX_SEND_ATTEMPTS, new Date(now.getTime() - RESEND_AFTER_MS)],
  );
  return { expired: expired.rowCount ?? 0, gaveUp: gaveUp.rowCount ?? 0 };
}

/** The device's latest inventory answers, by kind, as lib/devices/detail.ts reads them. */
export async function loadInventory(deviceId: string): Promise<{ inventory: Record<string, unknown>; updatedAt: Date | null }> {
  const { rows } = await pool().query<{ kind: string; data: unknown; updated_at: Date }>(
    `SELECT kind, data, updated_at FROM device_inventory WHERE device_id = $1`,
    [deviceId],
  );
  const inventory = Object.fromEntries(rows.map((r) => [r.kind, r.data]));
  const info = rows.find((r) => r.kind === "deviceInformation");
  return { inventory, updatedAt: info?.updated_at ?? null };
}

const CONNECT_SQL = `
WITH a AS (
  SELECT $3::uuid AS cmd, $4::"CommandStatus" AS st, $5::jsonb AS result, $6::jsonb AS error_chain,
         $7::text AS inv_kind, $8::jsonb AS inv_data, $9::jsonb AS patch, $2::timestamptz AS now, $13::text AS read_as
), dev AS (
  SELECT id, status FROM devices WHERE udid = $1 AND identity_fingerprint = $10
), live AS (
  SELECT id FROM dev WHERE status NOT IN ('RETIRED', 'WIPED')
), other AS (
  -- The result was read as another type than the command's: record nothing, hand out nothing.
  SELECT c.request_type FROM commands c, a
  WHERE a.read_as IS NOT NULL AND c.id = a.cmd AND c.device_id = (SELECT id FROM live) AND c.request_type <> a.read_as
), ans AS (
  UPDATE commands c SET
    -- An acknowledgement without the result its type must carry is kept as an error that says so.
    status = CASE WHEN a.st = 'ACKNOWLEDGED' AND a.read_as IS NULL AND ${UNREADABLE_SQL} IS NOT NULL THEN 'ERROR' ELSE a.st END,
    error_chain = CASE WHEN a.st = 'ACKNOWLEDGED' AND a.read_as IS NULL AND ${UNREADABLE_SQL} IS NOT NULL
      THEN jsonb_build_array(jsonb_build_object('code', NULL, 'domain', 'Mamori', 'description', 'The answer to ' || c.request_type || ' could not be read' || ${UNREADABLE_SQL}))
      ELSE COALESCE(a.error_chain, c.error_chain) END,
    responded_at = a.now, result = COALESCE(a.result, c.result),
    sealed_body = CASE WHEN a.st = 'NOT_NOW' THEN c.sealed_body ELSE NULL END
  FROM a WHERE a.cmd IS NOT NULL AND c.id = a.cmd AND c.device_id = (SELECT id FROM live) AND c.status IN ('SENT', 'NOT_NOW')
    AND NOT EXISTS (SELECT 1 FROM other)
  RETURNING c.id, c.request_type, c.status, c.payload
), inv AS (
  INSERT INTO device_inventory (device_id, kind, data, updated_at)
  SELECT (SELECT id FROM live), a.inv_kind, a.inv_data, a.now FROM a
  WHERE a.inv_kind IS NOT NULL AND a.st = 'ACKNOWLEDGED' AND EXISTS (SELECT 1 FROM ans)
  ON CONFLICT (device_id, kind) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at
  RETURNING 1
), ap AS (
  SELECT p.patch FROM (SELECT COALESCE(a.patch, ${EFFECTS_SQL}) AS patch FROM a, ans WHERE ans.status = 'ACKNOWLEDGED') p WHERE p.patch IS NOT NULL
), seen AS (
  UPDATE devices d SET
      last_check_in_at = CASE WHEN ${SEEN_DUE} THEN a.now ELSE d.last_check_in_at END,
      updated_at = CASE WHEN ${FIELDS_DIFFER} THEN a.now ELSE d.updated_at END,
      ${SET_FIELDS}
  FROM a LEFT JOIN ap ON true
  WHERE d.id = (SELECT id FROM live) AND (${SEEN_DUE} OR d.status = 'INACTIVE' OR ${FIELDS_DIFFER})
  RETURNING 1
), nxt AS (
  SELECT c.id FROM commands c, a
  WHERE c.device_id = (SELECT id FROM live) AND c.expires_at > a.now AND c.id IS DISTINCT FROM a.cmd
    AND NOT EXISTS (SELECT 1 FROM other)
    AND (c.status = 'QUEUED'
      OR (c.status = 'NOT_NOW' AND $11::boolean)
      OR (c.status = 'SENT' AND c.sent_at <= $12::timestamptz AND c.attempts < ${MAX_SEND_ATTEMPTS}))
  ORDER BY c.seq LIMIT 1 FOR UPDATE OF c SKIP LOCKED
), claimed AS (
  UPDATE commands c SET status = 'SENT', sent_at = $2::timestamptz, attempts = c.attempts + 1
  FROM nxt WHERE c.id = nxt.id
  RETURNING c.id, c.request_type, c.payload, c.sealed_body
)
SELECT (SELECT id FROM dev) AS device_id, (SELECT status FROM dev) AS device_status, EXISTS (SELECT 1 FROM ans) AS recorded,
       (SELECT request_type FROM other) AS read_as_instead, claimed.*
FROM (SELECT 1) one LEFT JOIN claimed ON true`;

function connectValues(input: ConnectInput): unknown[] {
  const a = input.answer;
  const now = input.now;
  return [
    input.udid,
    now,
    a?.commandUuid ?? null,
    a?.status ?? null,
    a?.result === undefined ? null : JSON.stringify(a.result),
    a?.errorChain === undefined ? null : JSON.stringify(a.errorChain),
    a?.inventory?.kind ?? null,
    a?.inventory ? JSON.stringify(a.inventory.data) : null,
    a?.patch && Object.keys(a.patch).length ? JSON.stringify(a.patch) : null,
    input.fingerprint,
    input.idle,
    new Date(now.getTime() - RESEND_AFTER_MS),
    a?.readAs ?? null,
  ];
}
