import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback } from "../support/listen";
import { MAX_FORM_BYTES, checkedMultipart, isMultipartPost } from "../../scripts/form-guard.mjs";

// Malformed multipart bodies made Next.js answer 500 on every page (found by tests/e2e/fuzz-routes):
// scripts/server.mjs now checks them first. Here behind a plain server whose handler reads the
// replayed body the way Next.js does.

let base: string;
const server = createServer(async (req, res) => {
  let r = req;
  if (isMultipartPost(req)) {
    const c = await checkedMultipart(req);
    if (!c.req) return void res.writeHead(c.status, { connection: "close" }).end();
    r = c.req;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of r) chunks.push(chunk as Buffer);
  const form = await new Response(Buffer.concat(chunks), { headers: { "content-type": String(r.headers["content-type"]) } }).formData().catch(() => null);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(form ? Object.fromEntries([...form].map(([k, v]) => [k, typeof v === "string" ? v : `file:${v.size}`])) : null));
});
beforeAll(async () => {
  base = `http://127.0.0.1:${await listenOnLoopback(server)}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const post = (body: BodyInit, type?: string) => fetch(`${base}/admin/certificates`, { method: "POST", body, headers: type ? { "content-type": type } : {} });

describe("multipart POSTs before Next.js", () => {
  it("passes a well-formed form on, body intact, files included", async () => {
    const form = new FormData();
    form.set("name", "日本語");
    form.set("file", new Blob([new Uint8Array(100_000)]), "id.p12");
    const r = await post(form);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ name: "日本語", file: "file:100000" });
  });

  it("refuses with 400 a body that does not parse: no boundary, a broken body, a missing end", async () => {
    for (const [body, type] of [
      ["a=b", "multipart/form-data"],
      ['--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n', "multipart/form-data; boundary=zzz"],
      ["no parts at all", "multipart/form-data; boundary=zzz"],
    ]) {
      expect((await post(body!, type)).status, body).toBe(400);
    }
  });

  it("refuses a body past Next's limit with 413, and leaves other requests alone", async () => {
    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(MAX_FORM_BYTES + 1)]), "big.bin");
    expect((await post(form)).status).toBe(413);
    expect(isMultipartPost({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } })).toBe(false);
    expect(isMultipartPost({ method: "GET", headers: { "content-type": "multipart/form-data" } })).toBe(false);
  });
});
