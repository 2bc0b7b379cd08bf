import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isStaleConnection, retryingFetch } from "@/scripts/simulator/fetch";
import { listenOnLoopback } from "@/tests/support/listen";

// A real HTTP server on 127.0.0.1 that closes its idle kept-alive connections at the moment a
// client reuses one: the race a device meets when the server's keep-alive timeout expires.

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
});

async function serve(): Promise<{ url: string; received: () => number; connections: () => number }> {
  const perSocket = new WeakMap<Socket, number>();
  const idle = new Set<Socket>();
  let received = 0;
  let connections = 0;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    idle.delete(req.socket);
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n > 1) {
      // The idle timeout fires just as the request arrives: this connection and every other
      // idle one close, and the request gets no answer.
      for (const s of idle) s.destroy();
      idle.clear();
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received++;
      res.end(`ok ${Buffer.concat(chunks).toString()}`, () => idle.add(req.socket));
    });
  });
  server.on("connection", () => connections++);
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}/mdm`, received: () => received, connections: () => connections };
}

const post = (f: typeof fetch, url: string, body: string) => f(url, { method: "POST", body: new TextEncoder().encode(body) }).then((r) => r.text());

describe("retryingFetch", () => {
  it("sends a request again, once, on a fresh connection when the reused one was closed", async () => {
    const s = await serve();
    // Plain fetch meets the closed connection and fails, as the simulator did under load.
    const plain = await Promise.allSettled([0, 1, 2, 3, 4].map(async (i) => { await new Promise((r) => setTimeout(r, i * 20)); return post(fetch, s.url, `p${i}`); }));
    const sequential: PromiseSettledResult<string>[] = [];
    for (let i = 0; i < 5; i++) sequential.push(...(await Promise.allSettled([post(fetch, s.url, `s${i}`)])));
    const failures = [...plain, ...sequential].filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as unknown);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every(isStaleConnection)).toBe(true);

    // A new origin (empty connection pool), one request at a time like one device: every reuse
    // is closed under the request, and every retry goes out on a new connection and succeeds.
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    const t = await serve();
    const retries: unknown[] = [];
    const f = retryingFetch(fetch, (e) => retries.push(e));
    for (let i = 0; i < 5; i++) expect(await post(f, t.url, `r${i}`)).toBe(`ok r${i}`);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every(isStaleConnection)).toBe(true);
    expect(t.received()).toBe(5); // each request handled exactly once
    expect(t.connections()).toBe(5); // never a request on a connection the server had closed
  });

  it("gives up after the one retry", async () => {
    let calls = 0;
    const failing: typeof fetch = async () => {
      calls++;
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
    };
    await expect(retryingFetch(failing)("http://127.0.0.1:9/")).rejects.toThrow("fetch failed");
    expect(calls).toBe(2);
  });

  it("does not retry other failures", async () => {
    const s = await serve();
    await new Promise((r) => server!.close(r));
    server = undefined;
    let calls = 0;
    const counting: typeof fetch = (i, init) => (calls++, fetch(i, init));
    const err = await retryingFetch(counting)(s.url).catch((e: unknown) => e);
    expect(isStaleConnection(err)).toBe(false); // ECONNREFUSED: nothing listening
    expect(calls).toBe(1);
  });
});
