import http2 from "node:http2";
import tls from "node:tls";
import { randomUUID } from "node:crypto";

// APNs client for MDM wake-up pushes (PROTOCOL.md section 6): certificate-based auth over a
// few long-lived HTTP/2 connections with many streams each, as Apple asks providers to do
// ("keep your connections open", "you can establish multiple connections").

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
  /** Streams in flight at once over all connections; further pushes wait. */
  concurrency?: number;
  /** HTTP/2 connections opened as load needs them (default 4). */
  connections?: number;
  /** Our own cap on streams per connection; the server's SETTINGS_MAX_CONCURRENT_STREAMS wins when lower. */
  streamsPerConnection?: number;
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
   *  HTTP/2 SETTINGS, i.e. during or right after the TLS handshake (see SessionState).
   *  unprocessed: the connection went away (GOAWAY, close) under a stream the server never answered. */
  | { kind: "failed"; certificate: boolean; handshake: boolean; reason: string; unprocessed: boolean };

// Node's own TLS servers (and some proxies) refuse a client certificate by closing the socket
// without an alert. In TLS 1.3 the client has already seen the handshake finish by then, so
// the only trace is that the server's SETTINGS frame (its first HTTP/2 frame) never came.
interface SessionState {
  tcp: boolean;
  settings: boolean;
  error?: Error;
}

/** One HTTP/2 connection of the pool and the streams we have open on it. */
interface Conn {
  session: http2.ClientHttp2Session;
  state: SessionState;
  inFlight: number;
  /** GOAWAY, close or error seen: running streams finish, no new ones. */
  gone: boolean;
}

// Before the server's SETTINGS arrive, one stream per connection: APNs itself starts low and
// raises its limit once the certificate is accepted, and a refused certificate costs one push.
const STREAMS_BEFORE_SETTINGS = 1;

export class ApnsClient {
  private readonly url: string;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly requestTimeoutMs: number;
  private readonly concurrency: number;
  private readonly streamsPerConnection: number;
  private context?: tls.SecureContext;
  /** Fixed number of slots; an empty slot is connected when load needs it. */
  private readonly slots: (Conn | undefined)[];
  private readonly waiting: (() => void)[] = [];
  private inFlight = 0;
  /** Set once the certificate is refused: every later push fails fast with this. */
  private dead?: { status: number; reason?: string };
  private closed = false;
  private pushing = 0;
  private opened = 0;
  private peakInFlight = 0;
  /** Deadlines of the streams in flight, checked by one timer (a timer per stream costs more than the push). */
  private readonly deadlines = new Map<http2.ClientHttp2Stream, { at: number; expire: () => void }>();
  private sweeper?: NodeJS.Timeout;

  constructor(opts: ApnsClientOptions) {
    this.url = opts.url ?? APNS_PRODUCTION_URL;
    new URL(this.url); // a bad URL is a configuration error: throw now, not "retryLater" per push
    this.maxRetries = Math.max(0, opts.maxRetries ?? 3);
    this.baseBackoffMs = Math.max(0, opts.baseBackoffMs ?? 1000);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.slots = new Array<Conn | undefined>(Math.max(1, opts.connections ?? 4)).fill(undefined);
    this.streamsPerConnection = Math.max(1, opts.streamsPerConnection ?? 250);
    this.concurrency = Math.max(1, opts.concurrency ?? this.slots.length * this.streamsPerConnection);
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

  /** Counters for tests and the benchmark: connections opened so far, most streams at once. */
  get stats(): { connectionsOpened: number; peakInFlight: number; openConnections: number } {
    return { connectionsOpened: this.opened, peakInFlight: this.peakInFlight, openConnections: this.slots.filter((c) => c && !c.gone).length };
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
        const conn = await this.acquire();
        if (!conn) return { outcome: "badCertificate", ...this.dead!, attempts }; // queued behind the push that found the cert refused
        attempts++;
        let attempt: Attempt;
        try {
          attempt = await this.send(conn, headers, body);
        } finally {
          this.release(conn);
        }
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
          this.dropAll(true);
        }
        if (outcome !== "retry") return { outcome, ...result, attempts };
        if (attempts > this.maxRetries) return { outcome: "retryLater", ...result, attempts };
        // A stream the server refused (GOAWAY, connection gone) was never processed: go again
        // at once on another connection. Throttling and server errors back off.
        if (!(attempt.kind === "failed" && attempt.unprocessed)) await sleep(this.backoff(attempts));
      }
    } finally {
      this.pushing--;
      // A retry after close() may have opened a new session: close it once the last push ends.
      if (this.closed && this.pushing === 0) this.dropAll();
    }
  }

  /** Closes the connections gracefully; pushes already running finish, new ones throw. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.deadlines.size === 0) this.stopSweeper();
    const sessions = this.slots.map((c) => c?.session).filter((s): s is http2.ClientHttp2Session => !!s && !s.destroyed);
    this.slots.fill(undefined);
    await Promise.all(
      sessions.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.once("close", () => resolve());
            if (!s.closed) s.close();
          }),
      ),
    );
  }

  private backoff(attempt: number): number {
    const d = Math.min(MAX_BACKOFF_MS, this.baseBackoffMs * 2 ** (attempt - 1));
    return d / 2 + (Math.random() * d) / 2; // jitter so many failed pushes don't retry in lockstep
  }

  private watch(req: http2.ClientHttp2Stream, expire: () => void): void {
    this.deadlines.set(req, { at: Date.now() + this.requestTimeoutMs, expire });
    if (this.sweeper) return;
    const every = Math.max(10, Math.min(1000, this.requestTimeoutMs / 4));
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [stream, d] of this.deadlines) if (d.at <= now) d.expire();
      if (this.deadlines.size === 0 && this.closed) this.stopSweeper();
    }, every);
    this.sweeper.unref(); // the streams' connections keep the process alive, not this timer
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** A connection with a free stream, or undefined once the certificate is refused. FIFO. */
  private async acquire(): Promise<Conn | undefined> {
    for (let spins = 0; ; spins++) {
      if (this.dead) return undefined;
      // Queue behind earlier waiters, so a steady stream of new pushes cannot starve them.
      if (spins > 0 || this.waiting.length === 0) {
        const conn = this.pick();
        if (conn) {
          conn.inFlight++;
          this.inFlight++;
          if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
          if (conn.inFlight === 1) conn.session.ref(); // busy connections keep the process alive
          return conn;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(conn: Conn): void {
    conn.inFlight--;
    this.inFlight--;
    // Idle connections must not keep a script's event loop alive.
    if (conn.inFlight === 0 && !conn.session.destroyed) conn.session.unref();
    this.waiting.shift()?.();
  }

  /** Something changed for many waiters at once (settings, a lost connection, a refusal). */
  private wakeAll(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  private capacity(conn: Conn): number {
    if (!conn.state.settings) return STREAMS_BEFORE_SETTINGS;
    const remote = conn.session.remoteSettings.maxConcurrentStreams ?? Infinity;
    return Math.max(0, Math.min(this.streamsPerConnection, remote));
  }

  private pick(): Conn | undefined {
    if (this.inFlight >= this.concurrency) return undefined;
    let best: Conn | undefined;
    let empty = -1;
    let allBusy = true;
    for (let i = 0; i < this.slots.length; i++) {
      const c = this.slots[i];
      if (!c || c.gone || c.session.destroyed || c.session.closed) {
        if (c) this.slots[i] = undefined;
        if (empty < 0) empty = i;
        continue;
      }
      if (c.inFlight === 0) allBusy = false;
      if (c.inFlight < this.capacity(c) && (!best || c.inFlight < best.inFlight)) best = c;
    }
    // Spread load: a new connection once every open one has streams running.
    if (empty >= 0 && (allBusy || !best)) return (this.slots[empty] = this.connect());
    return best;
  }

  private connect(): Conn {
    const session = http2.connect(this.url, { secureContext: this.context, settings: { enablePush: false } });
    const state: SessionState = { tcp: false, settings: false };
    const conn: Conn = { session, state, inFlight: 0, gone: false };
    this.opened++;
    session.socket.once("connect", () => (state.tcp = true));
    session.on("remoteSettings", () => {
      state.settings = true;
      this.wakeAll(); // the server may allow more (or fewer) streams now
    });
    // Any of these makes the connection unusable for new streams: the next push opens another.
    session.on("error", (err) => {
      state.error = err;
      this.forget(conn);
    });
    session.on("goaway", () => this.forget(conn));
    session.on("close", () => this.forget(conn));
    return conn;
  }

  private forget(conn: Conn): void {
    if (conn.gone) return;
    conn.gone = true;
    const i = this.slots.indexOf(conn);
    if (i >= 0) this.slots[i] = undefined;
    this.wakeAll();
  }

  private dropAll(now = false): void {
    for (const [i, c] of this.slots.entries()) {
      if (!c) continue;
      this.slots[i] = undefined;
      c.gone = true;
      if (c.session.destroyed) continue;
      if (now) c.session.destroy();
      else if (!c.session.closed) c.session.close();
    }
    this.wakeAll();
  }

  private send(conn: Conn, headers: http2.OutgoingHttpHeaders, body: string): Promise<Attempt> {
    const session = conn.session;
    return new Promise((resolve) => {
      let settled = false;
      let req: http2.ClientHttp2Stream | undefined;
      const finish = (a: Attempt) => {
        if (settled) return;
        settled = true;
        if (req) this.deadlines.delete(req);
        resolve(a);
      };
      // Under TLS 1.2 a refused handshake cancels the stream first and reports the alert on the
      // session a moment later, so wait a tick and prefer the session's error. (Under TLS 1.3
      // the alert arrives after "connect" and only the streams see it.)
      const fail = (err: unknown) =>
        setImmediate(() => {
          const unprocessed = conn.gone && conn.state.settings; // GOAWAY/close on a working connection
          finish(failure(conn.state.error ?? err, conn.state, unprocessed));
        });
      try {
        req = session.request(headers);
      } catch (err) {
        this.forget(conn);
        return fail(err);
      }
      const stream = req;
      let status = 0;
      let apnsId: string | undefined;
      let text = "";
      this.watch(stream, () => {
        // A stalled connection will stall the next stream too: start over on a new one.
        this.forget(conn);
        if (session.connecting) session.destroy();
        else session.close();
        stream.close(http2.constants.NGHTTP2_CANCEL);
        finish({ kind: "failed", certificate: false, handshake: false, unprocessed: false, reason: "Timeout" });
      });
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        const id = h["apns-id"];
        apnsId = typeof id === "string" ? id : undefined;
      });
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (text += chunk));
      stream.on("end", () => {
        if (status === 0) return fail(new Error("stream ended without a response"));
        const parsed = parseBody(text);
        if (parsed.reason === "Shutdown") this.forget(conn); // server is going away
        finish({ kind: "response", status, apnsId, ...parsed });
      });
      stream.on("error", fail);
      // 'close' without 'end': RST_STREAM (REFUSED_STREAM after a GOAWAY) or a dropped connection.
      stream.on("close", () => fail(new Error(`stream closed (code ${stream.rstCode})`)));
      stream.end(body);
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
  // Leave out absent fields rather than carrying `undefined` keys around (built by hand: this runs per push).
  const d: Omit<PushResult, "outcome" | "attempts"> = { status: a.status };
  if (a.reason !== undefined) d.reason = a.reason;
  if (a.apnsId !== undefined) d.apnsId = a.apnsId;
  if (a.timestamp !== undefined) d.timestamp = a.timestamp;
  return d;
}

function failure(err: unknown, state: SessionState, unprocessed: boolean): Attempt {
  const reason = errorCode(err);
  const handshake = state.tcp && !state.settings;
  return { kind: "failed", certificate: CERT_ALERT.test(reason), handshake, unprocessed, reason };
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
