import http2 from "node:http2";
import tls from "node:tls";
import { randomUUID } from "node:crypto";

// APNs client for MDM wake-up pushes (PROTOCOL.md section 6): certificate-based auth over
// one long-lived HTTP/2 connection, as Apple asks providers to do.

export const APNS_PRODUCTION_URL = "https://api.push.apple.com";
export const APNS_SANDBOX_URL = "https://api.sandbox.push.apple.com";

export type PushOutcome = "delivered" | "invalidToken" | "unregistered" | "badCertificate" | "retryLater" | "badRequest";

export interface PushResult {
  outcome: PushOutcome;
  /** HTTP status of the last answer; 0 when there was none (TLS/connection failure, refused locally). */
  status: number;
  /** APNs `reason`, or a Node error code (e.g. ERR_SSL_TLSV1_ALERT_UNKNOWN_CA) for transport failures. */
  reason?: string;
  apnsId?: string;
  /** 410 only: milliseconds since epoch when APNs last knew the token was valid. */
  timestamp?: number;
  /** Requests actually sent (0 when refused without network). */
  attempts: number;
}

export interface PushOptions {
  pushMagic: string;
  /** The push certificate's subject UID (com.apple.mgmt.External.<uuid>). */
  topic: string;
  /** Epoch seconds until which APNs keeps the push for an offline device. */
  expiration?: number;
  priority?: 5 | 10;
}

export interface ApnsClientOptions {
  url?: string;
  certPem: string;
  keyPem: string;
  /** Extra trusted CA (PEM), added to Node's bundled roots: for tests and private gateways. */
  ca?: string;
  /** Streams in flight at once; further pushes wait. */
  concurrency?: number;
  /** Retries after the first attempt for 429/5xx/connection failures. */
  maxRetries?: number;
  baseBackoffMs?: number;
  requestTimeoutMs?: number;
}

// APNs keeps one pending push per device/topic for up to 30 days. A week matches Apple's
// inactivity guidance (devices silent that long are treated as inactive, and we re-push
// periodically anyway), while 0 would mean "drop if the device is offline right now".
const DEFAULT_TTL_SECONDS = 7 * 24 * 60 * 60;
const MAX_BACKOFF_MS = 30_000;
const INVALID_TOKEN_REASONS = new Set(["BadDeviceToken", "DeviceTokenNotForTopic"]);
// TLS alerts by which a server refuses our client certificate (unknown CA, expired, revoked...).
const CERT_ALERT = /ALERT_(BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_[A-Z_]+|UNKNOWN_CA|ACCESS_DENIED)$/;

type Attempt =
  | { kind: "response"; status: number; reason?: string; apnsId?: string; timestamp?: number }
  /** certificate: refused by a TLS alert. handshake: TCP up, but dropped before the server's
   *  HTTP/2 SETTINGS, i.e. during or right after the TLS handshake (see SessionState). */
  | { kind: "failed"; certificate: boolean; handshake: boolean; reason: string };

// Node's own TLS servers (and some proxies) refuse a client certificate by closing the socket
// without an alert. In TLS 1.3 the client has already seen the handshake finish by then, so
// the only trace is that the server's SETTINGS frame (its first HTTP/2 frame) never came.
interface SessionState {
  tcp: boolean;
  settings: boolean;
  error?: Error;
}

/** Minimal FIFO semaphore bounding concurrent streams. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  get inUse(): number {
    return this.active;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the slot over directly: active stays the same
      else this.active--;
    }
  }
}

export class ApnsClient {
  private readonly url: string;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly requestTimeoutMs: number;
  private readonly slots: Semaphore;
  private context?: tls.SecureContext;
  private session?: http2.ClientHttp2Session;
  private readonly states = new WeakMap<http2.ClientHttp2Session, SessionState>();
  /** Set once the certificate is refused: every later push fails fast with this. */
  private dead?: { status: number; reason?: string };
  private closed = false;
  private pushing = 0;

  constructor(opts: ApnsClientOptions) {
    this.url = opts.url ?? APNS_PRODUCTION_URL;
    new URL(this.url); // a bad URL is a configuration error: throw now, not "retryLater" per push
    this.maxRetries = Math.max(0, opts.maxRetries ?? 3);
    this.baseBackoffMs = Math.max(0, opts.baseBackoffMs ?? 1000);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.slots = new Semaphore(Math.max(1, opts.concurrency ?? 50));
    try {
      // Built once: a key that does not match the certificate is found here, not per push.
      this.context = tls.createSecureContext({
        cert: opts.certPem,
        key: opts.keyPem,
        ca: opts.ca ? [...tls.rootCertificates, opts.ca] : undefined,
      });
    } catch (err) {
      this.dead = { status: 0, reason: errorCode(err) };
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Why this client refuses to push (certificate rejected), if it does. */
  get refusal(): { status: number; reason?: string } | undefined {
    return this.dead;
  }

  async push(tokenHex: string, opts: PushOptions): Promise<PushResult> {
    if (this.closed) throw new Error("ApnsClient is closed");
    const token = tokenHex.toLowerCase();
    // Also keeps anything but hex out of the request path.
    if (!/^[0-9a-f]+$/.test(token) || token.length % 2 !== 0) {
      return { outcome: "invalidToken", status: 0, reason: "BadDeviceToken", attempts: 0 };
    }
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": `/3/device/${token}`,
      "apns-id": randomUUID(), // same id on retries, so APNs logs and ours line up
      "apns-topic": opts.topic,
      "apns-push-type": "mdm",
      "apns-priority": String(opts.priority ?? 10),
      "apns-expiration": String(opts.expiration ?? Math.floor(Date.now() / 1000) + DEFAULT_TTL_SECONDS),
      "content-type": "application/json",
    };
    const body = JSON.stringify({ mdm: opts.pushMagic });

    this.pushing++;
    try {
      let attempts = 0;
      let handshakeFailures = 0;
      for (;;) {
        const attempt = await this.slots.run(async () => {
          if (this.dead) return undefined; // queued behind the push that found the cert refused
          attempts++;
          return this.send(headers, body);
        });
        if (!attempt) return { outcome: "badCertificate", ...this.dead!, attempts };
        let outcome = classify(attempt);
        let result = details(attempt);
        if (attempt.kind === "failed" && attempt.handshake) handshakeFailures++;
        // A single dropped handshake may be the network; every attempt dropped is a refusal.
        if (outcome === "retry" && attempts > this.maxRetries && handshakeFailures === attempts) {
          outcome = "badCertificate";
          result = { status: 0, reason: "TlsHandshakeRejected" };
        }
        if (outcome === "badCertificate") {
          // Stop hammering Apple with a revoked/expired/wrong certificate.
          this.dead ??= { status: result.status, reason: result.reason };
          this.dropSession(true);
        }
        if (outcome !== "retry") return { outcome, ...result, attempts };
        if (attempts > this.maxRetries) return { outcome: "retryLater", ...result, attempts };
        await sleep(this.backoff(attempts));
      }
    } finally {
      this.pushing--;
      // A retry after close() may have opened a new session: close it once the last push ends.
      if (this.closed && this.pushing === 0) this.dropSession();
    }
  }

  /** Closes the connection gracefully; pushes already running finish, new ones throw. */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once("close", () => resolve());
      if (!s.closed) s.close();
    });
  }

  private backoff(attempt: number): number {
    const d = Math.min(MAX_BACKOFF_MS, this.baseBackoffMs * 2 ** (attempt - 1));
    return d / 2 + (Math.random() * d) / 2; // jitter so many failed pushes don't retry in lockstep
  }

  private connection(): http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const session = http2.connect(this.url, { secureContext: this.context, settings: { enablePush: false } });
    const state: SessionState = { tcp: false, settings: false };
    this.states.set(session, state);
    session.socket.once("connect", () => (state.tcp = true));
    session.once("remoteSettings", () => (state.settings = true));
    // Any of these makes the session unusable: the next push connects again.
    session.on("error", (err) => {
      state.error = err;
      this.forget(session);
    });
    session.on("goaway", () => this.forget(session));
    session.on("close", () => this.forget(session));
    this.session = session;
    return session;
  }

  private forget(session: http2.ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
  }

  private dropSession(now = false): void {
    const s = this.session;
    this.session = undefined;
    if (!s || s.destroyed) return;
    if (now) s.destroy();
    else if (!s.closed) s.close();
  }

  private send(headers: http2.OutgoingHttpHeaders, body: string): Promise<Attempt> {
    return new Promise((resolve) => {
      let settled = false;
      let session: http2.ClientHttp2Session | undefined;
      const finish = (a: Attempt) => {
        if (settled) return;
        settled = true;
        // Idle connections must not keep a script's event loop alive; busy ones must.
        if (session && !session.destroyed && this.slots.inUse <= 1) session.unref();
        resolve(a);
      };
      // Under TLS 1.2 a refused handshake cancels the stream first and reports the alert on the
      // session a moment later, so wait a tick and prefer the session's error. (Under TLS 1.3
      // the alert arrives after "connect" and only the streams see it.)
      const fail = (err: unknown) =>
        setImmediate(() => {
          const state = session && this.states.get(session);
          finish(failure(state?.error ?? err, state));
        });
      let req: http2.ClientHttp2Stream;
      try {
        session = this.connection();
        session.ref();
        req = session.request(headers);
      } catch (err) {
        if (session) this.forget(session);
        return fail(err);
      }
      let status = 0;
      let apnsId: string | undefined;
      const chunks: Buffer[] = [];
      req.setTimeout(this.requestTimeoutMs, () => {
        // A stalled connection will stall the next stream too: start over on a new one.
        const s = session!;
        this.forget(s);
        if (s.connecting) s.destroy();
        else s.close();
        req.close(http2.constants.NGHTTP2_CANCEL);
        finish({ kind: "failed", certificate: false, handshake: false, reason: "Timeout" });
      });
      req.on("response", (h) => {
        status = Number(h[":status"]);
        const id = h["apns-id"];
        apnsId = typeof id === "string" ? id : undefined;
      });
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (status === 0) return fail(new Error("stream ended without a response"));
        const parsed = parseBody(Buffer.concat(chunks).toString("utf8"));
        if (parsed.reason === "Shutdown") this.forget(session!); // server is going away
        finish({ kind: "response", status, apnsId, ...parsed });
      });
      req.on("error", fail);
      // 'close' without 'end': RST_STREAM or a dropped connection.
      req.on("close", () => fail(new Error(`stream closed (code ${req.rstCode})`)));
      req.end(body);
    });
  }
}

function classify(a: Attempt): PushOutcome | "retry" {
  if (a.kind === "failed") return a.certificate ? "badCertificate" : "retry";
  const { status, reason } = a;
  if (status === 200) return "delivered";
  if (status === 400 && reason && INVALID_TOKEN_REASONS.has(reason)) return "invalidToken";
  if (status === 410) return "unregistered";
  if (status === 403) return "badCertificate";
  if (status === 429 || status >= 500) return "retry";
  return "badRequest";
}

function details(a: Attempt): Omit<PushResult, "outcome" | "attempts"> {
  if (a.kind === "failed") return { status: 0, reason: a.reason };
  const { kind: _kind, ...rest } = a;
  // Leave out absent fields rather than carrying `undefined` keys around.
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as typeof rest;
}

function failure(err: unknown, state?: SessionState): Attempt {
  const reason = errorCode(err);
  const handshake = !!state && state.tcp && !state.settings;
  return { kind: "failed", certificate: CERT_ALERT.test(reason), handshake, reason };
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  // Streams opened before a TLS 1.2 handshake failed are "canceled"; the alert is the cause.
  if (e?.code === "ERR_HTTP2_STREAM_CANCEL" && e.cause) return errorCode(e.cause);
  if (e && typeof e.code === "string") return e.code;
  return e && typeof e.message === "string" ? e.message : String(err);
}

function parseBody(text: string): { reason?: string; timestamp?: number } {
  if (!text) return {};
  try {
    const j = JSON.parse(text) as { reason?: unknown; timestamp?: unknown };
    return {
      reason: typeof j.reason === "string" ? j.reason : undefined,
      timestamp: typeof j.timestamp === "number" ? j.timestamp : undefined,
    };
  } catch {
    return {};
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
