import { X509Certificate, createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { pool } from "@/lib/db/client";
import { deviceCa } from "@/lib/pki/device-ca";
import { issueCertificate } from "@/lib/pki/ca";
import { buildPlist, parsePlist } from "@/lib/mdm/plist";
import { deviceInformation } from "@/lib/mdm/commands";
import { jsonSafe } from "@/lib/mdm/queue";

// Many enrolled devices made straight in the database (identities from the real device CA), and
// a device client that drains its commands over real HTTP like an iPhone after a push: on a
// failed request (connection refused, 5xx) it waits and sends the same report again. It logs
// what it received, so tests can prove each command was handed out once.

export const CERT_HEADER = "x-ssl-client-cert";
/** Server settings for devices identified by CERT_HEADER, as behind a TLS-terminating proxy. */
export const FLEET_SERVER_ENV = { MAMORI_CLIENT_CERT_HEADER: CERT_HEADER, MAMORI_TRUSTED_PROXIES: "1", MAMORI_ALLOW_HTTP_MDM: "1" };
export const FLEET_TOPIC = "com.apple.mgmt.External.5f0c7a1e-8d2b-4e6f-9a3c-1b2d3e4f5a6b";

export interface FleetDevice {
  udid: string;
  deviceId: string;
  certHeader: string;
  /** CommandUUIDs the server handed to this device, in order. */
  received: string[];
  /** HTTP statuses (or "network") of every request, for what a device saw during a fault. */
  statuses: Array<number | "network">;
}

/**
 * Test instrument: every committed recording of an answer (a change of responded_at) leaves a
 * row in fleet_answers, so a test can prove each command was acknowledged exactly once.
 */
async function recordAnswers(): Promise<void> {
  await pool().query(`
    CREATE TABLE IF NOT EXISTS fleet_answers (command_id uuid NOT NULL, status text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE OR REPLACE FUNCTION fleet_answer() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO fleet_answers (command_id, status) VALUES (NEW.id, NEW.status::text); RETURN NEW; END $$;
    DROP TRIGGER IF EXISTS fleet_answer ON commands;
    CREATE TRIGGER fleet_answer AFTER UPDATE ON commands FOR EACH ROW
      WHEN (OLD.responded_at IS DISTINCT FROM NEW.responded_at) EXECUTE FUNCTION fleet_answer();`);
}

/** `n` ACTIVE devices (status `status`), each with `commands` queued DeviceInformation commands. */
export async function makeFleet(n: number, commands: number, status = "ACTIVE"): Promise<FleetDevice[]> {
  await recordAnswers();
  const ca = await deviceCa();
  // One key for all: key generation is not what is tested; each certificate is still its own identity.
  const publicKeyPem = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
  const devices = Array.from({ length: n }, () => {
    const certPem = issueCertificate(ca, { publicKeyPem, subject: [["CN", randomUUID()]], days: 30 });
    return { udid: randomUUID().toUpperCase(), deviceId: randomUUID(), certPem, fingerprint: createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex") };
  });
  await pool().query(
    `INSERT INTO devices (id, udid, platform, status, topic, identity_fingerprint, push_token, push_magic, created_at, updated_at)
     SELECT d.id, d.udid, 'IOS', $4::"DeviceStatus", $5, d.fp, md5(d.udid), d.udid, now(), now()
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS d(id, udid, fp)`,
    [devices.map((d) => d.deviceId), devices.map((d) => d.udid), devices.map((d) => d.fingerprint), status, FLEET_TOPIC],
  );
  if (commands > 0) {
    await pool().query(
      `INSERT INTO commands (id, device_id, request_type, payload, queued_by_label, expires_at)
       SELECT gen_random_uuid(), d, 'DeviceInformation', $2::jsonb, 'fleet', now() + interval '72 hours'
       FROM unnest($1::uuid[]) AS d, generate_series(1, $3::int)`,
      [devices.map((d) => d.deviceId), JSON.stringify(jsonSafe(deviceInformation("IOS").command)), commands],
    );
  }
  return devices.map((d) => ({ udid: d.udid, deviceId: d.deviceId, certHeader: encodeURIComponent(d.certPem), received: [], statuses: [] }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one plist to a device endpoint with the device's identity. */
export function devicePut(base: string, path: "connect" | "checkin", d: FleetDevice, body: Record<string, unknown>): Promise<Response> {
  const content = path === "connect" ? "application/x-apple-aspen-mdm" : "application/x-apple-aspen-mdm-checkin";
  return fetch(`${base}/api/mdm/${path}`, {
    method: "PUT",
    body: new Uint8Array(Buffer.from(buildPlist(body as never))),
    headers: { "content-type": content, [CERT_HEADER]: d.certHeader },
    signal: AbortSignal.timeout(30_000),
  });
}

const ack = (d: FleetDevice, CommandUUID: string) => ({ UDID: d.udid, CommandUUID, Status: "Acknowledged", QueryResponses: { DeviceName: `Fleet ${d.udid.slice(0, 8)}`, OSVersion: "18.1" } });

/**
 * One connection, as after a push: Idle (or the answer to `answering`), then acknowledge every
 * command until the server has none. A request that fails (no server, 5xx) is sent again
 * unchanged after a pause, until `deadline`; any other status is the test's failure.
 */
export async function drain(base: string, d: FleetDevice, deadline: number, answering?: string): Promise<void> {
  let report: Record<string, unknown> = answering ? ack(d, answering) : { Status: "Idle", UDID: d.udid };
  for (let wait = 100; ; ) {
    if (Date.now() > deadline) throw new Error(`device ${d.udid} did not finish (statuses: ${d.statuses.slice(-5).join(", ")})`);
    let res: Response;
    try {
      res = await devicePut(base, "connect", d, report);
    } catch {
      d.statuses.push("network");
      await sleep((wait = Math.min(wait * 2, 2_000)));
      continue;
    }
    d.statuses.push(res.status);
    const text = await res.text();
    if (res.status >= 500) {
      await sleep((wait = Math.min(wait * 2, 2_000)));
      continue;
    }
    if (res.status !== 200) throw new Error(`device ${d.udid}: HTTP ${res.status} ${text}`);
    wait = 100;
    if (!text.trim()) return;
    const { CommandUUID } = parsePlist(Buffer.from(text)) as { CommandUUID: string };
    d.received.push(CommandUUID);
    report = ack(d, CommandUUID);
  }
}

/** One Idle request; the CommandUUID handed out, if any (logged as received). */
export async function idleOnce(base: string, d: FleetDevice): Promise<string | null> {
  const res = await devicePut(base, "connect", d, { Status: "Idle", UDID: d.udid });
  d.statuses.push(res.status);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`device ${d.udid}: HTTP ${res.status} ${text}`);
  if (!text.trim()) return null;
  const { CommandUUID } = parsePlist(Buffer.from(text)) as { CommandUUID: string };
  d.received.push(CommandUUID);
  return CommandUUID;
}

export interface CommandTally {
  total: number;
  byStatus: Record<string, number>;
  /** Commands whose device received them more than once. */
  handedTwice: string[];
  /** Acknowledged commands their device never received (an ack it did not send). */
  neverReceived: string[];
  /** Commands whose answer was recorded other than exactly once. */
  answersNotOnce: string[];
  /** Acknowledged rows lacking what an ack writes. */
  inconsistent: number;
}

/** What the database and the devices' logs say about the fleet's commands. */
export async function tally(devices: FleetDevice[]): Promise<CommandTally> {
  const ids = devices.map((d) => d.deviceId);
  const { rows } = await pool().query<{ id: string; device_id: string; status: string; ok: boolean; answers: number }>(
    `SELECT id::text, device_id::text, status::text, (SELECT count(*)::int FROM fleet_answers a WHERE a.command_id = c.id) AS answers,
            (status <> 'ACKNOWLEDGED' OR (responded_at >= sent_at AND sealed_body IS NULL AND result->>'name' LIKE 'Fleet %' AND attempts BETWEEN 1 AND 3)) AS ok
     FROM commands c WHERE device_id = ANY($1::uuid[])`,
    [ids],
  );
  const received = new Map<string, number>();
  for (const d of devices) for (const u of d.received) received.set(u.toLowerCase(), (received.get(u.toLowerCase()) ?? 0) + 1);
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  return {
    total: rows.length,
    byStatus,
    handedTwice: [...received].filter(([, n]) => n > 1).map(([u]) => u),
    neverReceived: rows.filter((r) => r.status === "ACKNOWLEDGED" && !received.has(r.id)).map((r) => r.id),
    answersNotOnce: rows.filter((r) => r.answers !== 1).map((r) => r.id),
    inconsistent: rows.filter((r) => !r.ok).length,
  };
}
