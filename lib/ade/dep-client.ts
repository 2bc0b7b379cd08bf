import { createHmac, randomBytes } from "node:crypto";

// A minimal client for Apple's DEP (Automated Device Enrollment) API. Shaped after what
// micromdm/nanodep sends (client/auth.go, client/transport.go, godep/account.go) and Apple's
// "Authenticating with the Automated Device Enrollment program" and "Get Account Detail":
//   GET /session  with an OAuth 1.0a HMAC-SHA1 Authorization header -> { auth_session_token }
//   GET /account  with X-ADM-Auth-Session and X-Server-Protocol-Version -> account JSON

export const DEP_DEFAULT_URL = "https://mdmenrollment.apple.com";
export const DEP_PROTOCOL_VERSION = "3";
export const DEP_TIMEOUT_MS = 10_000;
// The content type nanodep sends, byte for byte (Apple's depsim insists on it).
const MEDIA_TYPE = "application/json;charset=UTF8";

export interface DepCredentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
}

export interface DepAccount {
  orgName: string | null;
  serverName: string | null;
  serverUuid: string | null;
  orgEmail: string | null;
  orgPhone: string | null;
  orgAddress: string | null;
  adminId: string | null;
  facilitatorId: string | null;
  orgType: string | null;
  orgVersion: string | null;
  orgId: string | null;
  orgIdHash: string | null;
  raw: Record<string, unknown>;
}

/** Why a DEP call failed, coarse enough for a UI message. */
export type DepFailure = "network" | "timeout" | "unauthorized" | "accessDenied" | "termsNotSigned" | "http" | "badResponse";

export class DepError extends Error {
  constructor(
    readonly reason: DepFailure,
    readonly detail: string,
    readonly status?: number,
  ) {
    super(`DEP ${reason}: ${detail}`);
    this.name = "DepError";
  }
}

export interface DepOptions {
  /** Defaults to env DEP_URL, then Apple's production URL. */
  baseUrl?: string;
  /** For both requests together. */
  timeoutMs?: number;
}

export function depBaseUrl(): string {
  return (process.env.DEP_URL || DEP_DEFAULT_URL).replace(/\/+$/, "");
}

/** RFC 5849 3.6: percent-encode UTF-8 bytes, leaving only ALPHA / DIGIT / "-" / "." / "_" / "~". */
export function oauthEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * RFC 5849 3.4.1 signature base string: METHOD&encoded(base URI)&encoded(sorted params).
 * The base URI drops query and fragment, lower-cases scheme and host and omits default ports
 * (WHATWG URL already does the last two); query parameters join the OAuth ones.
 */
export function signatureBaseString(method: string, url: string, oauthParams: Record<string, string>): string {
  const u = new URL(url);
  const base = `${u.protocol}//${u.host}${u.pathname}`;
  const pairs: [string, string][] = [];
  for (const [k, v] of u.searchParams) pairs.push([oauthEncode(k), oauthEncode(v)]);
  for (const [k, v] of Object.entries(oauthParams)) pairs.push([oauthEncode(k), oauthEncode(v)]);
  // Byte order on the encoded forms (all ASCII), name first, then value.
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const params = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  return [oauthEncode(method.toUpperCase()), oauthEncode(base), oauthEncode(params)].join("&");
}

/** The Authorization header value for an OAuth 1.0a HMAC-SHA1 request (no realm, as gomodule/oauth1). */
export function oauthAuthorization(
  method: string,
  url: string,
  creds: DepCredentials,
  fixed: { timestamp?: number; nonce?: string } = {},
): string {
  const params: Record<string, string> = {
    oauth_consumer_key: creds.consumerKey,
    oauth_nonce: fixed.nonce ?? randomBytes(16).toString("hex"),
    oauth_signature_method: "HMAC-SHA1",
    oauth_timestamp: String(fixed.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_token: creds.accessToken,
    oauth_version: "1.0",
  };
  const key = `${oauthEncode(creds.consumerSecret)}&${oauthEncode(creds.accessSecret)}`;
  const signature = createHmac("sha1", key).update(signatureBaseString(method, url, params)).digest("base64");
  const all: Record<string, string> = { ...params, oauth_signature: signature };
  return "OAuth " + Object.keys(all).sort().map((k) => `${k}="${oauthEncode(all[k]!)}"`).join(", ");
}

/** Exchanges the server token's OAuth credentials for a session token (X-ADM-Auth-Session). */
export async function depSession(creds: DepCredentials, opts: DepOptions = {}): Promise<string> {
  const signal = AbortSignal.timeout(opts.timeoutMs ?? DEP_TIMEOUT_MS);
  return session(creds, opts.baseUrl ?? depBaseUrl(), signal);
}

/** Apple's "Get Account Detail": organisation and MDM server as ABM knows them. */
export async function fetchDepAccount(creds: DepCredentials, opts: DepOptions = {}): Promise<DepAccount> {
  const baseUrl = opts.baseUrl ?? depBaseUrl();
  const signal = AbortSignal.timeout(opts.timeoutMs ?? DEP_TIMEOUT_MS);
  const token = await session(creds, baseUrl, signal);
  const body = await call(`${baseUrl}/account`, { "X-ADM-Auth-Session": token, Accept: MEDIA_TYPE }, signal);
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new DepError("badResponse", "account is not a JSON object");
  return toAccount(body as Record<string, unknown>);
}

async function session(creds: DepCredentials, baseUrl: string, signal: AbortSignal): Promise<string> {
  const url = `${baseUrl}/session`;
  const headers = { Authorization: oauthAuthorization("GET", url, creds), "Content-Type": MEDIA_TYPE, Accept: MEDIA_TYPE };
  const body = await call(url, headers, signal);
  const token = (body as { auth_session_token?: unknown } | null)?.auth_session_token;
  if (typeof token !== "string" || token === "") throw new DepError("badResponse", "no auth_session_token in /session response");
  return token;
}

async function call(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "GET",
      headers: { ...headers, "X-Server-Protocol-Version": DEP_PROTOCOL_VERSION, "User-Agent": "Mamori" },
      signal,
      redirect: "error", // a redirect would resend the session token elsewhere
    });
  } catch (e) {
    throw failed(e, signal, url);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw failed(e, signal, url);
  }
  const path = new URL(url).pathname;
  if (res.status !== 200) throw httpError(path, res.status, text);
  try {
    return JSON.parse(text);
  } catch {
    throw new DepError("badResponse", `${path}: response is not JSON`, res.status);
  }
}

function failed(e: unknown, signal: AbortSignal, url: string): DepError {
  const path = new URL(url).pathname;
  if (signal.aborted) return new DepError("timeout", `${path}: no answer within the time limit`);
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return new DepError("network", `${path}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
}

// Apple's bodies are short codes (ACCESS_DENIED, T_C_NOT_SIGNED...), sometimes JSON-quoted.
function httpError(path: string, status: number, body: string): DepError {
  const detail = `${path}: ${status} ${body.trim().slice(0, 200)}`.trim();
  if (status === 401) return new DepError("unauthorized", detail, status);
  if (status === 403) return new DepError(body.includes("T_C_NOT_SIGNED") ? "termsNotSigned" : "accessDenied", detail, status);
  return new DepError("http", detail, status);
}

function toAccount(raw: Record<string, unknown>): DepAccount {
  const s = (k: string) => (typeof raw[k] === "string" && raw[k] !== "" ? (raw[k] as string) : null);
  return {
    orgName: s("org_name"),
    serverName: s("server_name"),
    serverUuid: s("server_uuid"),
    orgEmail: s("org_email"),
    orgPhone: s("org_phone"),
    orgAddress: s("org_address"),
    adminId: s("admin_id"),
    facilitatorId: s("facilitator_id"),
    orgType: s("org_type"),
    orgVersion: s("org_version"),
    orgId: s("org_id"),
    orgIdHash: s("org_id_hash"),
    raw,
  };
}
