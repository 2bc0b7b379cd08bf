import { isUserError } from "@/lib/errors";
import { BodyTooLarge, readBody } from "@/lib/http/body";
import { identifyDevice, type DeviceIdentity } from "./identity";
import type { MdmAnswer } from "./service";

export const MAX_MDM_BODY = 1024 * 1024;

/**
 * The shared shape of the device endpoints: read (1 MB at most), identify, handle, answer.
 * A refusal is 400 with the reason as text, never 401: a 401 makes the device unenroll.
 */
export async function deviceEndpoint(req: Request, handle: (body: Buffer, id: DeviceIdentity) => Promise<MdmAnswer>): Promise<Response> {
  try {
    const body = await readBody(req, MAX_MDM_BODY);
    const identity = await identifyDevice(req.headers, body);
    const answer = await handle(body, identity);
    return new Response(answer.body ?? null, { status: answer.status, headers: answer.contentType ? { "content-type": answer.contentType } : {} });
  } catch (e) {
    if (e instanceof BodyTooLarge) return new Response("body too large", { status: 413 });
    if (isUserError(e)) {
      console.warn(`MDM request refused: ${e.code} ${JSON.stringify(e.params)}`);
      return new Response(e.code, { status: 400, headers: { "content-type": "text/plain" } });
    }
    console.error("MDM request failed", e);
    return new Response("internal error", { status: 500 });
  }
}
