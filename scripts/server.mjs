// The HTTP server behind `npm start`: Next.js plus the one place that decides the client's
// address, so rate limits and the audit log cannot be fooled by a forged X-Forwarded-For.
import { createServer } from "node:http";
import pg from "pg";
import next from "next";
import { checkedMultipart, isMultipartPost } from "./form-guard.mjs";

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

// Benchmarks only (MAMORI_SQL_COUNT=1): count every statement this process sends to
// PostgreSQL. Patched before Next loads; "pg" is in serverExternalPackages, so the route
// handlers use this same module rather than a bundled copy.
const countSql = process.env.MAMORI_SQL_COUNT === "1";
let statements = 0;
if (countSql) {
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (...args) {
    statements++;
    return query.apply(this, args);
  };
}
const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

function stats(req, res) {
  if (!LOOPBACK.has(req.socket.remoteAddress || "")) return false;
  res.writeHead(200, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ pid: process.pid, statements, rss: process.memoryUsage().rss }));
  return true;
}

// The device endpoints, bundled at build time (scripts/build-device.ts), are served here ahead of
// Next.js; without the bundle (an older build) Next's route handlers answer them.
const device = await import(new URL("../.next/mamori-device.mjs", import.meta.url).href).catch((e) => {
  if (e.code !== "ERR_MODULE_NOT_FOUND") throw e;
  return null;
});

const app = next({ dev: process.env.MAMORI_DEV === "1", hostname: host === "0.0.0.0" ? "localhost" : host, port });
await app.prepare();
const handle = app.getRequestHandler();

/** A path whose percent-escapes do not decode (e.g. /admin/devices/%ff) names nothing here. */
function malformedPath(url) {
  const path = (url || "/").split("?", 1)[0];
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

/**
 * The answers made here rather than by Next.js (device endpoints, refusals) get the headers
 * next.config.ts gives every page: no page of ours is ever one of them, so nothing may run.
 */
function harden(req, res) {
  res.setHeader("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("referrer-policy", "no-referrer");
  if (req.headers["x-forwarded-proto"] === "https") res.setHeader("strict-transport-security", "max-age=31536000; includeSubDomains");
}

const server = createServer((req, res) => {
  if (countSql && req.url === "/__mamori/stats" && stats(req, res)) return;
  // Next.js would fail on it with a 500; the answer is the client's mistake, so 400.
  if (malformedPath(req.url)) {
    harden(req, res);
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Bad request: the address is not valid.");
    return;
  }
  req.headers["x-forwarded-for"] = clientAddress(req);
  if (hops === 0) {
    // No proxy in front: what the client says about the original request is not to be trusted.
    delete req.headers["x-forwarded-host"];
    req.headers["x-forwarded-proto"] = "http";
  }
  const deviceHandler = device?.deviceRoute(req.method, req.url);
  if (deviceHandler) {
    harden(req, res);
    return void device.serveDevice(req, res, deviceHandler);
  }
  if (isMultipartPost(req)) {
    checkedMultipart(req).then(
      (c) => (c.req ? handle(c.req, res) : (harden(req, res), res).writeHead(c.status, { "content-type": "text/plain; charset=utf-8", connection: "close" }).end(c.status === 413 ? "Body too large." : "Bad request: the form data is not valid.")),
      () => res.destroy(),
    );
    return;
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
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    // Requests under way finish; a client holding its connection open does not hold us up.
    setTimeout(() => process.exit(0), 10_000).unref();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
