import http2 from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { randomUUID } from "node:crypto";
import { listenOnLoopback } from "./listen";

// A local APNs stand-in that is as strict as Apple about MDM pushes, so client bugs show up
// in tests instead of in production. Mutual TLS: only client certs issued by `caPem` get in.
// Unlike Apple, which answers a refused certificate with a TLS alert (unknown_ca,
// certificate_expired...), Node's TLS server checks the chain in JS after the handshake and
// just closes the socket, so this fake exercises the client's harder, alert-less path.

export interface RecordedRequest {
  /** Index of the TLS session (0 = first) that carried the request. */
  session: number;
  method: string;
  path: string;
  token?: string;
  /** Regular (non-pseudo) request headers. */
  headers: Record<string, string | string[]>;
  body: string;
  /** Subject UID of the client certificate: the push topic. */
  clientUid?: string;
  status: number;
  reason?: string;
  /** The server dropped the connection instead of answering. */
  dropped?: boolean;
}

export interface ScriptedResponse {
  status: number;
  reason?: string;
  /** For 410: ms since epoch (Date.now() if left out). */
  timestamp?: number;
}

export interface FakeApnsOptions {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** Topic the device tokens belong to; other (cert-valid) topics get DeviceTokenNotForTopic. */
  expectedTopic?: string;
  /** Delay before answering, to make concurrency observable. */
  responseDelayMs?: number;
  /** E.g. "TLSv1.2": a refused client certificate then fails before the client sees "connect". */
  maxTlsVersion?: "TLSv1.2" | "TLSv1.3";
  /** SETTINGS_MAX_CONCURRENT_STREAMS the server announces (Node's default: unlimited). */
  maxConcurrentStreams?: number;
  /** Each connection gets a GOAWAY (graceful close) after answering this many requests, as Apple's servers do now and then. */
  goawayAfter?: number;
}

export interface FakeApns {
  url: string;
  requests: RecordedRequest[];
  /** Answers for the next requests to this token, in order; 200 once they are used up. */
  respond(tokenHex: string, ...responses: ScriptedResponse[]): void;
  /** The next request gets its connection destroyed, without any answer. */
  dropConnectionOnce(): void;
  close(): Promise<void>;
  /** TLS sessions that completed the handshake (client certificate accepted). */
  readonly sessions: number;
  /** TCP connections accepted, including those whose TLS handshake failed. */
  readonly connections: number;
  /** Failed TLS handshakes (e.g. client certificate refused). */
  readonly tlsErrors: number;
  /** Highest number of requests being handled at the same time. */
  readonly maxInFlight: number;
  /** Highest number of requests handled at the same time on any one connection. */
  readonly maxInFlightPerSession: number;
  /** GOAWAYs sent because of goawayAfter. */
  readonly goaways: number;
}

const MAX_PAYLOAD = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Verdict extends ScriptedResponse {
  token?: string;
}

export async function startFakeApns(opts: FakeApnsOptions): Promise<FakeApns> {
  const server = http2.createSecureServer({
    cert: opts.serverCertPem,
    key: opts.serverKeyPem,
    ca: opts.caPem,
    requestCert: true,
    rejectUnauthorized: true,
    allowHTTP1: false,
    maxVersion: opts.maxTlsVersion,
    settings: opts.maxConcurrentStreams ? { maxConcurrentStreams: opts.maxConcurrentStreams } : undefined,
  });
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, ScriptedResponse[]>();
  const live = new Set<http2.ServerHttp2Session>();
  const sessionIndex = new WeakMap<http2.ServerHttp2Session, number>();
  let sessions = 0;
  let connections = 0;
  let tlsErrors = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxInFlightPerSession = 0;
  let goaways = 0;
  const perSession = new WeakMap<http2.ServerHttp2Session, { inFlight: number; answered: number }>();
  let dropNext = false;

  server.on("connection", () => connections++);
  server.on("tlsClientError", () => tlsErrors++);
  server.on("session", (session) => {
    sessionIndex.set(session, sessions++);
    perSession.set(session, { inFlight: 0, answered: 0 });
    live.add(session);
    session.on("close", () => live.delete(session));
    session.on("error", () => {});
  });

  server.on("stream", (stream, headers, _flags: number, rawHeaders?: string[]) => {
    const session = stream.session as http2.ServerHttp2Session;
    const chunks: Buffer[] = [];
    let size = 0;
    const mine = perSession.get(session)!;
    inFlight++;
    mine.inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    maxInFlightPerSession = Math.max(maxInFlightPerSession, mine.inFlight);
    stream.on("error", () => {});
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_PAYLOAD + 1) chunks.push(c);
    });
    stream.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const peer = (session.socket as TLSSocket).getPeerCertificate();
      const uid = typeof peer?.subject?.UID === "string" ? peer.subject.UID : undefined;
      const record: RecordedRequest = {
        session: sessionIndex.get(session) ?? -1,
        method: String(headers[":method"]),
        path: String(headers[":path"]),
        headers: plainHeaders(headers),
        body,
        clientUid: uid,
        status: 0,
      };
      requests.push(record);
      if (dropNext) {
        dropNext = false;
        record.dropped = true;
        inFlight--;
        mine.inFlight--;
        // Abrupt, like a dropped link: TCP RST on the raw socket under TLS, no GOAWAY, no answer.
        const raw = (session.socket as TLSSocket & { _parent?: Socket })._parent;
        if (raw) raw.resetAndDestroy();
        else session.destroy();
        return;
      }
      let verdict = check(record, uid, size, opts.expectedTopic, duplicated(rawHeaders ?? []));
      record.token = verdict.token;
      if (verdict.status === 200 && verdict.token) {
        const next = scripts.get(verdict.token)?.shift();
        if (next) verdict = { ...next, token: verdict.token };
      }
      const answer = () => {
        inFlight--;
        mine.inFlight--;
        mine.answered++;
        record.status = verdict.status;
        record.reason = verdict.reason;
        if (stream.destroyed || stream.closed) return;
        const id = typeof headers["apns-id"] === "string" && UUID.test(headers["apns-id"]) ? headers["apns-id"] : randomUUID();
        // Graceful: streams already received are answered, later ones are refused (REFUSED_STREAM).
        if (opts.goawayAfter && mine.answered === opts.goawayAfter) {
          goaways++;
          setImmediate(() => session.close());
        }
        if (verdict.status === 200) {
          stream.respond({ ":status": 200, "apns-id": id }, { endStream: true });
          return;
        }
        const json: { reason?: string; timestamp?: number } = { reason: verdict.reason };
        if (verdict.status === 410) json.timestamp = verdict.timestamp ?? Date.now();
        stream.respond({ ":status": verdict.status, "apns-id": id, "content-type": "application/json" });
        stream.end(JSON.stringify(json));
        // Apple's "Shutdown": the server is going away; GOAWAY lets in-flight streams finish.
        if (verdict.reason === "Shutdown") session.close();
      };
      if (opts.responseDelayMs) setTimeout(answer, opts.responseDelayMs);
      else answer();
    });
  });

  const port = await listenOnLoopback(server);

  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    respond(tokenHex, ...responses) {
      const key = tokenHex.toLowerCase();
      scripts.set(key, [...(scripts.get(key) ?? []), ...responses]);
    },
    dropConnectionOnce() {
      dropNext = true;
    },
    async close() {
      for (const s of live) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    get sessions() {
      return sessions;
    },
    get connections() {
      return connections;
    },
    get tlsErrors() {
      return tlsErrors;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get maxInFlightPerSession() {
      return maxInFlightPerSession;
    },
    get goaways() {
      return goaways;
    },
  };
}

/** Apple's checks, in roughly Apple's order; reason names from Apple's APNs documentation. */
function check(r: RecordedRequest, uid: string | undefined, size: number, expectedTopic: string | undefined, dup: boolean): Verdict {
  if (dup) return { status: 400, reason: "DuplicateHeaders" };
  if (r.method !== "POST") return { status: 405, reason: "MethodNotAllowed" };
  const m = /^\/3\/device\/([^/?]*)$/.exec(r.path);
  if (!m) return { status: 404, reason: "BadPath" };
  const token = m[1]!;
  if (!token) return { status: 400, reason: "MissingDeviceToken" };
  if (!/^[0-9a-fA-F]{64,}$/.test(token) || token.length % 2 !== 0) return { status: 400, reason: "BadDeviceToken" };
  const h = r.headers as Record<string, string | undefined>;
  if (!uid) return { status: 403, reason: "BadCertificate" };
  if (h["apns-id"] !== undefined && !UUID.test(h["apns-id"])) return { status: 400, reason: "BadMessageId" };
  if (h["apns-push-type"] !== "mdm") return { status: 400, reason: "InvalidPushType" };
  if (h["apns-topic"] === undefined) return { status: 400, reason: "MissingTopic" };
  if (h["apns-topic"] !== uid) return { status: 400, reason: "BadTopic" };
  if (expectedTopic !== undefined && h["apns-topic"] !== expectedTopic) return { status: 400, reason: "DeviceTokenNotForTopic" };
  if (h["apns-priority"] !== undefined && h["apns-priority"] !== "5" && h["apns-priority"] !== "10") {
    return { status: 400, reason: "BadPriority" };
  }
  if (h["apns-expiration"] !== undefined && !/^\d+$/.test(h["apns-expiration"])) return { status: 400, reason: "BadExpirationDate" };
  if (size > MAX_PAYLOAD) return { status: 413, reason: "PayloadTooLarge" };
  if (size === 0) return { status: 400, reason: "PayloadEmpty" };
  // Apple documents no reason for malformed JSON; "BadPayload" is this fake's own name for it.
  let payload: unknown;
  try {
    payload = JSON.parse(r.body);
  } catch {
    return { status: 400, reason: "BadPayload" };
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return { status: 400, reason: "BadPayload" };
  const keys = Object.keys(payload);
  if (keys.length !== 1 || keys[0] !== "mdm") return { status: 400, reason: "BadPayload" };
  const magic = (payload as { mdm: unknown }).mdm;
  if (typeof magic !== "string" || magic === "") return { status: 400, reason: "PayloadEmpty" };
  return { status: 200, token: token.toLowerCase() };
}

/** Node joins repeated headers into one value, so look at the raw list. */
function duplicated(rawHeaders: string[]): boolean {
  const names = rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  return new Set(names).size !== names.length;
}

function plainHeaders(headers: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith(":") && v !== undefined) out[k] = v;
  }
  return out;
}
