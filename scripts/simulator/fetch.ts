// Devices retry a request once when the server closed the kept-alive connection they reused
// (it timed out idle just as the request went out): nothing reached the server, so sending
// again is safe. Any other failure, or a second one, is the caller's.

const STALE_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED"]);

/** True for the errors of a request sent on a connection the server had already closed. */
export function isStaleConnection(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && STALE_CODES.has(e.code)) return true;
    if (typeof e.message === "string" && /other side closed/i.test(e.message)) return true;
  }
  return false;
}

/** Wraps a fetch so that a request failing on a stale connection is sent once more. */
export function retryingFetch(inner: typeof fetch = fetch, onRetry?: (err: unknown) => void): typeof fetch {
  return async (input, init) => {
    try {
      return await inner(input, init);
    } catch (err) {
      // Bodies here are bytes or strings, never streams, so the request can be sent again.
      if (!isStaleConnection(err) || init?.signal?.aborted) throw err;
      onRetry?.(err);
      return inner(input, init);
    }
  };
}
