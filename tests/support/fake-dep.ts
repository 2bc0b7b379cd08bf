import http from "node:http";
import type { Socket } from "node:net";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { listenOnLoopback } from "./listen";

// A local stand-in for Apple's DEP API (mdmenrollment.apple.com) that is as strict as Apple
// documents ("Interpreting error codes"): 400 for malformed OAuth, 401 for a bad key, token,
// signature, timestamp or reused nonce, 403 ACCESS_DENIED when told to. The OAuth 1.0a
// signature is recomputed here from the request as received (RFC 5849 3.4), written
// independently of lib/ade/dep-client.ts so one bug cannot hide on both sides.

export interface FakeDepCredentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
}

export interface FakeDepOptions {
  credentials: FakeDepCredentials[];
  /** Accepted clock difference for oauth_timestamp, seconds. */
  maxSkewSeconds?: number;
  /** How long a session token works. */
  sessionTtlMs?: number;
  account?: Record<string, unknown>;
}

export interface DepRecord {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  status: number;
  /** The reason this fake answered as it did (for assertions), e.g. "badSignature". */
  verdict: string;
}

export interface FakeDep {
  url: string;
  requests: DepRecord[];
  /** Base string the fake computed for the last /session request it could parse. */
  lastBaseString: string | null;
  /** Answer every request to `path` with this until `reset()`. */
  override(path: "/session" | "/account", status: number, body: string): void;
  /** Refuse connections (sockets are destroyed on arrival). */
  setDown(down: boolean): void;
  /** Accept requests and never answer them. */
  setHang(hang: boolean): void;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_ACCOUNT = {
  server_name: "Mamori Test MDM",
  server_uuid: "677cd1e4-a6c6-4f4f-9d52-2b5f2d9bd5a1",
  admin_id: "admin@example.co.jp",
  facilitator_id: "admin@example.co.jp",
  org_name: "株式会社サンプル (Example K.K.)",
  org_email: "it@example.co.jp",
  org_phone: "+81-3-0000-0000",
  org_address: "1-1 Chiyoda, Tokyo",
  org_id: "9001234",
  org_id_hash: "2b1a6c0e8d6f3b1e5f7a9c4d2e0b8a6f4c2e0d8b6a4f2c0e8d6b4a2f0c8e6d4b",
  org_type: "org",
  org_version: "v2",
  urls: [],
};

// Added at protocol version 3 (Apple's AccountDetail); older clients do not get them.
const V3_KEYS = ["org_id", "org_id_hash", "org_type", "org_version", "urls"];
const REQUIRED = ["oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"];
const ALLOWED = new Set([...REQUIRED, "oauth_version"]);

export async function startFakeDep(opts: FakeDepOptions): Promise<FakeDep> {
  const maxSkew = opts.maxSkewSeconds ?? 300;
  const ttl = opts.sessionTtlMs ?? 3 * 60_000;
  const account = opts.account ?? DEFAULT_ACCOUNT;
  const sessions = new Map<string, { consumerKey: string; expires: number }>();
  const usedNonces = new Set<string>();
  const overrides = new Map<string, { status: number; body: string }>();
  const sockets = new Set<Socket>();
  const requests: DepRecord[] = [];
  let down = false;
  let hang = false;
  let lastBaseString: string | null = null;

  const server = http.createServer((req, res) => {
    if (down) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (hang) return;
      const path = (req.url ?? "/").split("?")[0]!;
      const record: DepRecord = { method: req.method ?? "", path, headers: req.headers, status: 0, verdict: "" };
      requests.push(record);
      const answer = (status: number, verdict: string, body: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        record.verdict = verdict;
        const json = typeof body !== "string";
        res.writeHead(status, { "Content-Type": json ? "application/json;charset=UTF-8" : "text/plain;charset=UTF-8", ...headers });
        res.end(json ? JSON.stringify(body) : body);
      };
      const forced = overrides.get(path);
      if (forced) return answer(forced.status, "override", forced.body);
      if (req.method !== "GET") return answer(405, "methodNotAllowed", "METHOD_NOT_ALLOWED");

      if (path === "/session") {
        const v = verifySession(req);
        if (v.status !== 200) return answer(v.status, v.verdict, v.body);
        const token = randomBytes(24).toString("hex");
        sessions.set(token, { consumerKey: v.consumerKey!, expires: Date.now() + ttl });
        return answer(200, "ok", { auth_session_token: token });
      }
      if (path === "/account") {
        const version = req.headers["x-server-protocol-version"];
        if (typeof version !== "string" || !/^\d+$/.test(version)) return answer(400, "noProtocolVersion", "BAD_REQUEST");
        const token = req.headers["x-adm-auth-session"];
        const s = typeof token === "string" ? sessions.get(token) : undefined;
        if (!s || s.expires < Date.now()) return answer(401, "badSession", "UNAUTHORIZED");
        const body = Object.fromEntries(Object.entries(account).filter(([k]) => Number(version) >= 3 || !V3_KEYS.includes(k)));
        return answer(200, "ok", body, { "X-ADM-Auth-Session": token as string });
      }
      return answer(404, "notFound", "NOT_FOUND");
    });
  });

  function verifySession(req: http.IncomingMessage): { status: number; verdict: string; body: string; consumerKey?: string } {
    const bad = (status: number, verdict: string) => ({ status, verdict, body: status === 400 ? "BAD_REQUEST" : "UNAUTHORIZED" });
    const params = parseAuthorization(req.headers.authorization);
    if (!params) return bad(400, "malformedAuthorization");
    if (params === "duplicate") return bad(400, "duplicateParameter");
    for (const k of REQUIRED) if (params.get(k) === undefined) return bad(400, "missingParameter");
    for (const k of params.keys()) if (k !== "realm" && !ALLOWED.has(k)) return bad(400, "unsupportedParameter");
    if (params.get("oauth_signature_method") !== "HMAC-SHA1") return bad(400, "unsupportedSignatureMethod");
    const version = params.get("oauth_version");
    if (version !== undefined && version !== "1.0") return bad(400, "unsupportedVersion");

    // Recompute the base string from what arrived: method, Host, path, query, OAuth params.
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    const pairs: [string, string][] = [];
    for (const [k, v] of params) if (k !== "realm" && k !== "oauth_signature") pairs.push([pct(k), pct(v)]);
    for (const [k, v] of url.searchParams) pairs.push([pct(k), pct(v)]);
    pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])) || Buffer.compare(Buffer.from(a[1]), Buffer.from(b[1])));
    const normalized = pairs.map(([k, v]) => k + "=" + v).join("&");
    const baseUri = `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname}`;
    const base = [pct((req.method ?? "").toUpperCase()), pct(baseUri), pct(normalized)].join("&");
    lastBaseString = base;

    const creds = opts.credentials.find((c) => c.consumerKey === params.get("oauth_consumer_key"));
    if (!creds) return bad(401, "unknownConsumerKey");
    if (creds.accessToken !== params.get("oauth_token")) return bad(401, "unknownToken");
    const ts = params.get("oauth_timestamp")!;
    if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > maxSkew) return bad(401, "staleTimestamp");
    const expected = createHmac("sha1", `${pct(creds.consumerSecret)}&${pct(creds.accessSecret)}`).update(base).digest();
    const given = Buffer.from(params.get("oauth_signature")!, "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return bad(401, "badSignature");
    const nonceKey = `${creds.consumerKey}\n${creds.accessToken}\n${params.get("oauth_nonce")}`;
    if (usedNonces.has(nonceKey)) return bad(401, "reusedNonce");
    usedNonces.add(nonceKey);
    return { status: 200, verdict: "ok", body: "", consumerKey: creds.consumerKey };
  }

  server.on("connection", (socket: Socket) => {
    if (down) return void socket.destroy();
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get lastBaseString() {
      return lastBaseString;
    },
    override(path, status, body) {
      overrides.set(path, { status, body });
    },
    setDown(v) {
      down = v;
      if (v) for (const s of sockets) s.destroy(); // kept-alive connections go too
    },
    setHang(v) {
      hang = v;
    },
    reset() {
      overrides.clear();
      down = false;
      hang = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** RFC 5849 3.6 percent-encoding over UTF-8 bytes. */
function pct(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * RFC 5849 3.5.1: `OAuth name="value", ...` with percent-encoded names and values. Returns
 * null when malformed, "duplicate" when a parameter repeats (Apple: 400).
 */
function parseAuthorization(header: string | undefined): Map<string, string> | "duplicate" | null {
  const m = header ? /^OAuth\s+(.*)$/is.exec(header) : null;
  if (!m) return null;
  const params = new Map<string, string>();
  const item = /\s*([^\s=,"]+)="([^"]*)"\s*(,|$)/y;
  const rest = m[1]!;
  let last = "";
  while (item.lastIndex < rest.length) {
    const start = item.lastIndex;
    const p = item.exec(rest);
    if (!p || p.index !== start) return null;
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(p[1]!);
      value = decodeURIComponent(p[2]!);
    } catch {
      return null;
    }
    if (params.has(name)) return "duplicate";
    params.set(name, value);
    last = p[3]!;
    if (last === "") break;
  }
  if (item.lastIndex < rest.length || last === ",") return null;
  return params.size ? params : null;
}
