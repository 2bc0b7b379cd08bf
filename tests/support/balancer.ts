import { Agent, createServer, request } from "node:http";
import { listenOnLoopback } from "./listen";

// A tiny HTTP load balancer for tests: each request goes to the next backend in turn (as a
// balancer does per request), with X-Forwarded-For set; a backend that cannot be reached is a 502.

export interface Balancer {
  url: string;
  /** Requests forwarded to each backend, by index. */
  served: number[];
  stop(): Promise<void>;
}

export async function startBalancer(backends: number[]): Promise<Balancer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const served = backends.map(() => 0);
  let next = 0;
  const server = createServer((req, res) => {
    const i = next++ % backends.length;
    served[i]!++;
    const forwarded = [req.headers["x-forwarded-for"], req.socket.remoteAddress].filter(Boolean).join(", ");
    const up = request(
      { host: "127.0.0.1", port: backends[i], method: req.method, path: req.url, agent, headers: { ...req.headers, "x-forwarded-for": forwarded } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("bad gateway");
    });
    req.pipe(up);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    stop: () => {
      agent.destroy();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
