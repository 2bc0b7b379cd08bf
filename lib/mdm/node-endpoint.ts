import type { IncomingMessage, ServerResponse } from "node:http";
import { answerDevice, answerHeaders, MAX_MDM_BODY, type DeviceHandler } from "./http";
import { handleCheckin, handleConnect } from "./service";

// The device endpoints served straight from Node's HTTP server, ahead of Next.js: a device
// request needs none of Next's routing, rendering or middleware, which cost more CPU than the
// MDM work itself. `npm start` bundles this module (scripts/build-device.ts) and scripts/server.mjs
// routes PUT /api/mdm/checkin and /api/mdm/connect here; the route handlers under app/api/mdm
// answer the same way for `next dev` and `next start`.

const ROUTES: Record<string, DeviceHandler> = {
  "/api/mdm/checkin": (body, id) => handleCheckin(body, id),
  "/api/mdm/connect": (body, id) => handleConnect(body, id),
};

/** The handler for a device request, or null when the request is not one (Next.js serves it). */
export function deviceRoute(method: string | undefined, url: string | undefined): DeviceHandler | null {
  if (method !== "PUT" || !url) return null;
  const q = url.indexOf("?");
  return ROUTES[q < 0 ? url : url.slice(0, q)] ?? null;
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > MAX_MDM_BODY) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped; the 413 closes the connection.
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_MDM_BODY) return resolve(null);
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function headersOf(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") h.set(k, v);
  return h;
}

export async function serveDevice(req: IncomingMessage, res: ServerResponse, handle: DeviceHandler): Promise<void> {
  try {
    const body = await readBody(req);
    if (!body) {
      res.writeHead(413, { "content-type": "text/plain", connection: "close" }).end("body too large");
      return;
    }
    const a = await answerDevice(headersOf(req), body, handle);
    res.writeHead(a.status, answerHeaders(a)).end(a.body ?? "");
  } catch (e) {
    console.error("MDM request failed", e);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
  }
}
