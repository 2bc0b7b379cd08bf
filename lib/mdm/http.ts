import { isUserError } from "@/lib/errors";
import { BodyTooLarge, readBody } from "@/lib/http/body";
import { isDatabaseUnavailable } from "@/lib/db/unavailable";
import { identifyDevice, type DeviceIdentity } from "./identity";
import type { MdmAnswer } from "./service";

export const MAX_MDM_BODY = 1024 * 1024;
/** Seconds a device is asked to wait while the database is away. */
const RETRY_AFTER_S = 5;
const OUTAGE_LOG_EVERY_MS = 10_000;
let lastOutageLog = 0;

export type DeviceHandler = (body: Buffer, id: DeviceIdentity) => Promise<MdmAnswer>;

/**
 * The shared shape of the device endpoints: identify, handle, answer. A refusal is 400 with the
 * reason as text, never 401: a 401 makes the device unenroll. Used by the Next.js route
 * handlers and by the plain Node.js endpoint that `npm start` serves them with (./node-endpoint).
 */
export async function answerDevice(headers: Headers, body: Buffer, handle: DeviceHandler): Promise<MdmAnswer> {
  try {
    const identity = await identifyDevice(headers, body);
    return await handle(body, identity);
  } catch (e) {
    if (isUserError(e)) {
      console.warn(`MDM request refused: ${e.code} ${JSON.stringify(e.params)}`);
      return { status: 400, body: e.code, contentType: "text/plain" };
    }
    // The database is restarting or unreachable: the device tries again later (never a 401).
    if (isDatabaseUnavailable(e)) {
      // One line per interval, not one per device: an outage meets thousands of requests.
      const now = Date.now();
      if (now - lastOutageLog > OUTAGE_LOG_EVERY_MS) {
        lastOutageLog = now;
        console.warn(`MDM requests deferred (503), the database is unavailable: ${(e as Error).message}`);
      }
      return { status: 503, body: "database unavailable", contentType: "text/plain", retryAfter: RETRY_AFTER_S };
    }
    console.error("MDM request failed", e);
    return { status: 500, body: "internal error", contentType: "text/plain" };
  }
}

/** A device endpoint as a route handler: read (1 MB at most), then answerDevice. */
export async function deviceEndpoint(req: Request, handle: DeviceHandler): Promise<Response> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_MDM_BODY);
  } catch (e) {
    if (e instanceof BodyTooLarge) return new Response("body too large", { status: 413 });
    throw e;
  }
  const answer = await answerDevice(req.headers, body, handle);
  return new Response(answer.body ?? null, { status: answer.status, headers: answerHeaders(answer) });
}

/** The HTTP headers of an answer. */
export function answerHeaders(a: MdmAnswer): Record<string, string> {
  return { ...(a.contentType && { "content-type": a.contentType }), ...(a.retryAfter && { "retry-after": String(a.retryAfter) }) };
}
