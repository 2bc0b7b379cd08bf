// A POST whose multipart/form-data body does not parse makes Next.js answer 500 ("Failed to parse
// body as FormData"), on any page. It is the client's mistake: scripts/server.mjs reads such a
// body first, refuses it with 400 when it does not parse, and hands Next.js a copy otherwise.
import { IncomingMessage } from "node:http";

/** Next's own limit for server action bodies (next.config.ts serverActions.bodySizeLimit). */
export const MAX_FORM_BYTES = 2 * 1024 * 1024;

export function isMultipartPost(req) {
  return req.method === "POST" && /^multipart\/form-data/i.test(req.headers["content-type"] || "");
}

/**
 * `{ req }`: the same request with its body read, checked and ready to be read again;
 * `{ status }`: the answer instead (400 unparseable, 413 past MAX_FORM_BYTES).
 */
export async function checkedMultipart(req) {
  const chunks = [];
  let size = 0;
  // Past the limit the rest is read and dropped, so the answer reaches the client.
  for await (const c of req) {
    size += c.length;
    if (size <= MAX_FORM_BYTES) chunks.push(c);
  }
  if (size > MAX_FORM_BYTES) return { status: 413 };
  const body = Buffer.concat(chunks);
  try {
    // The parser Next.js uses (undici's), so what passes here parses there.
    await new Response(body, { headers: { "content-type": req.headers["content-type"] } }).formData();
  } catch {
    return { status: 400 };
  }
  const copy = new IncomingMessage(req.socket);
  for (const k of ["method", "url", "headers", "rawHeaders", "trailers", "rawTrailers", "httpVersion", "httpVersionMajor", "httpVersionMinor"]) copy[k] = req[k];
  copy.complete = true; // else reading it to the end counts as an abort and closes the socket
  copy.push(body);
  copy.push(null);
  return { req: copy };
}
