// The HTTP server behind `npm start`: Next.js plus the one place that decides the client's
// address, so rate limits and the audit log cannot be fooled by a forged X-Forwarded-For.
import { createServer } from "node:http";
import next from "next";

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "0.0.0.0";
const hops = Math.max(0, Number(process.env.MAMORI_TRUSTED_PROXIES) || 0);

function clientAddress(req) {
  const socket = (req.socket.remoteAddress || "").replace(/^::ffff:/, "");
  if (hops === 0) return socket;
  const chain = String(req.headers["x-forwarded-for"] || "").split(",").map((s) => s.trim()).filter(Boolean);
  chain.push(socket);
  return chain[Math.max(0, chain.length - 1 - hops)];
}

const app = next({ dev: process.env.MAMORI_DEV === "1", hostname: host === "0.0.0.0" ? "localhost" : host, port });
await app.prepare();
const handle = app.getRequestHandler();

const server = createServer((req, res) => {
  req.headers["x-forwarded-for"] = clientAddress(req);
  if (hops === 0) {
    // No proxy in front: what the client says about the original request is not to be trusted.
    delete req.headers["x-forwarded-host"];
    req.headers["x-forwarded-proto"] = "http";
  }
  handle(req, res);
});
// Idle keep-alive connections outlive a load balancer's (60 s on AWS ALB and most others), so the
// balancer, not Mamori, closes them: otherwise it may reuse a socket we just closed and fail
// the request. headersTimeout must exceed keepAliveTimeout (Node's rule).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.on("error", (e) => {
  console.error(e.code === "EADDRINUSE" ? `Port ${port} is already in use: stop the other program or set PORT to a free port.` : `Mamori could not listen on ${host}:${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  process.send?.({ ready: true });
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
