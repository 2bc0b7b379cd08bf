// Errors that mean "the database cannot be reached right now" (down, restarting, connection
// dropped), as opposed to a bad query: the request may succeed when sent again shortly.

// Node socket errors, PostgreSQL's connection-exception class (08) and shutdown/start-up codes.
const CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P02", "57P03", "53300"]);
// Prisma's codes for an unreachable server, a closed connection, a socket timeout, too many connections.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2037"]);
const MESSAGES = /Connection terminated|connection timeout|connection error and is not queryable|the database system is (starting up|shutting down|in recovery)|terminating connection due to/i;

type Err = { code?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as Err;
  if (typeof e.code === "string" && (CODES.has(e.code) || PRISMA_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
  // Prisma's driver adapter keeps the driver's error (or its mapped kind) underneath.
  const kind = (e as { kind?: unknown }).kind;
  if (kind === "DatabaseNotReachable" || kind === "ConnectionClosed" || kind === "SocketTimeout" || kind === "TooManyConnections") return true;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(e.meta?.driverAdapterError, depth + 1);
}
