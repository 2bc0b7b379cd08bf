import { audit, ANONYMOUS } from "@/lib/audit";
import { getSetting } from "@/lib/settings";
import { BodyTooLarge, readBody } from "@/lib/http/body";
import { KeysUnavailable, parseEnvelope, PushAuthError, verifyPushToken, type PushEnvelope } from "./pubsub";
import { upsertNotifiedDevice } from "./sync";
import { storeLostModeLocation } from "./location";
import { applyOperation as realApplyOperation } from "./operations";

// What /api/android/pubsub does with one Pub/Sub push from the Android Management API
// (https://developers.google.com/android/management/notifications). Kept apart from the route
// so it runs under vitest against a real database. Answers: 204 acks; anything else makes
// Pub/Sub redeliver with backoff (https://cloud.google.com/pubsub/docs/push).
//
// Choices: a verified push whose data cannot be read is acked and audited (FAILURE): Google
// will never send it differently, retrying only fills the log, and the 10-minute poll
// reconciles. A body that is not a push envelope at all is 400. Status reports are not audited
// (every device sends them all day); what they change is (device.enroll, device.reenroll).

export const MAX_PUSH_BYTES = 256 * 1024;
const ACTION = "android.pubsub";

export type PushResult = { status: 204 } | { status: 400 | 401 | 403 | 404 | 413 | 503; code: string };

type Ctx = { ip: string | null; userAgent: string | null };
type Operation = Parameters<typeof realApplyOperation>[0];
export interface PushDeps {
  applyOperation: (op: Operation) => Promise<boolean>;
  now?: Date;
}

const ACK: PushResult = { status: 204 };

function json(data: Buffer | null): unknown {
  if (!data) return undefined;
  try {
    return JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
}

function operationOf(v: unknown): Operation | null {
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.name !== "string" || !o.name || o.name.length > 500) return null;
  const error = o.error && typeof o.error === "object" && !Array.isArray(o.error) ? (o.error as Operation["error"]) : undefined;
  return { name: o.name, ...(typeof o.done === "boolean" && { done: o.done }), ...(error && { error }), metadata: o.metadata, response: o.response };
}

export async function receivePush(req: Request, ctx: Ctx, deps: PushDeps = { applyOperation: realApplyOperation }): Promise<PushResult> {
  const { audience, serviceAccountEmail } = await getSetting("androidPubsub");
  // Not set up: as if the endpoint did not exist; polling goes on as before.
  if (!audience) return { status: 404, code: "android.pubsubOff" };
  let claims;
  try {
    claims = await verifyPushToken(req.headers.get("authorization"), { audience, serviceAccountEmail }, { now: deps.now });
  } catch (e) {
    if (e instanceof PushAuthError) {
      await audit({ actor: ANONYMOUS, action: ACTION, result: "DENIED", details: { reason: e.reason }, ...ctx });
      return { status: e.status, code: e.status === 401 ? "android.pubsubUnauthenticated" : "android.pubsubForbidden" };
    }
    if (e instanceof KeysUnavailable) {
      console.warn(`[android.pubsub] ${e.message}`);
      return { status: 503, code: "android.pubsubKeysUnavailable" };
    }
    throw e;
  }
  const actor = { id: null, label: claims.email ?? "pubsub" };
  let body: Buffer;
  try {
    body = await readBody(req, MAX_PUSH_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLarge) return { status: 413, code: "android.pubsubTooLarge" };
    throw e;
  }
  const env = parseEnvelope(body);
  if (!env) return { status: 400, code: "android.pubsubMalformed" };
  const type = env.attributes.notificationType ?? "";
  const failed = (reason: string, extra: Record<string, unknown> = {}) =>
    audit({ actor, action: ACTION, result: "FAILURE", details: { reason, notificationType: type.slice(0, 50), messageId: env.messageId, ...extra }, ...ctx });

  switch (type) {
    case "ENROLLMENT":
    case "STATUS_REPORT": {
      const outcome = await upsertNotifiedDevice(json(env.data), deps.now);
      if (outcome === "malformed" || outcome === "otherEnterprise" || outcome === "notConfigured") await failed(outcome, deviceName(env));
      return ACK;
    }
    case "COMMAND": {
      const op = operationOf(json(env.data));
      if (!op) await failed("malformed");
      else await deps.applyOperation(op);
      return ACK;
    }
    case "USAGE_LOGS":
      // In lost mode the device reports where it is (lib/android/location.ts); other logs are not kept.
      await storeLostModeLocation(json(env.data), deps.now);
      return ACK;
    default:
      // PUBSUB test messages and types Google adds later: nothing to do.
      return ACK;
  }
}

/** The device the notification named, for the audit row, when it can be read. */
function deviceName(env: PushEnvelope): Record<string, unknown> {
  const name = (json(env.data) as { name?: unknown } | undefined)?.name;
  return typeof name === "string" ? { amapiName: name.slice(0, 300) } : {};
}
