import { headers } from "next/headers";
import { route } from "@/lib/auth/guard";
import { isUserError } from "@/lib/errors";
import { BodyTooLarge, readBody } from "@/lib/http/body";
import { clientAddress } from "@/lib/request";
import { getCaCaps, getCaCert, pkiMessageFromQuery } from "@/lib/pki/scep";
import { deviceCa } from "@/lib/pki/device-ca";
import { scepPkiOperation } from "@/lib/enrollment/scep";

export const dynamic = "force-dynamic";

const MAX_PKI_MESSAGE = 64 * 1024;

async function pkiOperation(message: Buffer): Promise<Response> {
  try {
    const r = await scepPkiOperation(message, { ip: clientAddress(await headers()) });
    return new Response(new Uint8Array(r.body), { headers: { "content-type": r.contentType } });
  } catch (e) {
    if (isUserError(e)) return new Response(e.code, { status: 400 });
    console.error("SCEP failed", e);
    return new Response("internal error", { status: 500 });
  }
}

/** SCEP (RFC 8894): GetCACaps, GetCACert, and PKIOperation by GET. */
export const GET = route.device(async (req: Request) => {
  const q = new URL(req.url).searchParams;
  switch (q.get("operation")) {
    case "GetCACaps":
      return new Response(getCaCaps(), { headers: { "content-type": "text/plain" } });
    case "GetCACert": {
      const { body, contentType } = getCaCert(await deviceCa());
      return new Response(new Uint8Array(body), { headers: { "content-type": contentType } });
    }
    case "PKIOperation": {
      const message = q.get("message") ?? "";
      if (message.length > MAX_PKI_MESSAGE * 2) return new Response("message too large", { status: 413 });
      try {
        return await pkiOperation(pkiMessageFromQuery(message));
      } catch (e) {
        if (isUserError(e)) return new Response(e.code, { status: 400 });
        throw e;
      }
    }
    default:
      return new Response("unknown operation", { status: 400 });
  }
});

export const POST = route.device(async (req: Request) => {
  if (new URL(req.url).searchParams.get("operation") !== "PKIOperation") return new Response("unknown operation", { status: 400 });
  try {
    return await pkiOperation(await readBody(req, MAX_PKI_MESSAGE));
  } catch (e) {
    if (e instanceof BodyTooLarge) return new Response("message too large", { status: 413 });
    throw e;
  }
});
