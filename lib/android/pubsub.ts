import { createPublicKey, verify, type KeyObject } from "node:crypto";

// Google Cloud Pub/Sub push delivery, as the Android Management API uses it. No Next.js here.
//
// Authenticated push (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions):
// `Authorization: Bearer <JWT>`, an OpenID Connect ID token Google signs with RS256; header
// `kid` names one of Google's keys (JWKS at https://www.googleapis.com/oauth2/v3/certs); claims
// iss (accounts.google.com or https://accounts.google.com), aud (the subscription's audience),
// email + email_verified (the push subscription's service account), iat, exp.
// Push body (https://cloud.google.com/pubsub/docs/push): JSON
// `{ message: { data (base64), attributes, messageId, publishTime }, subscription }`.
// AMAPI puts `notificationType` in the attributes and the resource's JSON in `data`
// (https://developers.google.com/android/management/notifications).

export const GOOGLE_OIDC_CERTS_DEFAULT = "https://www.googleapis.com/oauth2/v3/certs";
export const GOOGLE_ISSUERS = ["accounts.google.com", "https://accounts.google.com"];
/** Clock difference tolerated between Google and us. */
export const SKEW_SECONDS = 60;
/** Google's ID tokens live an hour; anything claiming much longer is not one of them. */
const MAX_LIFETIME_SECONDS = 2 * 3600;
const TIMEOUT_MS = 10_000;
const MAX_JWKS_BYTES = 64 * 1024;
/** An unknown kid refetches the keys (Google rotates them), at most this often. */
const REFETCH_MS = 60_000;

export function googleCertsUrl(): string {
  return process.env.GOOGLE_OIDC_CERTS_URL || GOOGLE_OIDC_CERTS_DEFAULT;
}

/** Why a push was refused; `status` is what the endpoint answers (Pub/Sub retries either). */
export type PushDenial =
  | "missingToken"
  | "malformedToken"
  | "algorithm"
  | "unknownKey"
  | "badSignature"
  | "expired"
  | "notYetValid"
  | "issuer"
  | "audience"
  | "emailUnverified"
  | "email";

export class PushAuthError extends Error {
  constructor(readonly reason: PushDenial) {
    super(reason);
    this.name = "PushAuthError";
  }
  /** 401: not proven to come from Google; 403: Google's, but not for us. */
  get status(): 401 | 403 {
    return this.reason === "audience" || this.reason === "email" || this.reason === "emailUnverified" ? 403 : 401;
  }
}

/** Google's keys could not be read: our problem, not the sender's (answer 503, Pub/Sub retries). */
export class KeysUnavailable extends Error {
  constructor(detail: string) {
    super(`Google's OIDC keys unavailable: ${detail}`);
    this.name = "KeysUnavailable";
  }
}

export interface PushClaims {
  iss: string;
  aud: string;
  email: string | null;
  sub: string | null;
  iat: number;
  exp: number;
}

interface KeySet {
  url: string;
  keys: Map<string, KeyObject>;
  expiresAt: number;
  fetchedAt: number;
}

let cache: KeySet | null = null;

/** Tests rotate keys: forget what was fetched. */
export function clearKeyCache(): void {
  cache = null;
}

async function fetchKeys(url: string, now: number): Promise<KeySet> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "error", headers: { accept: "application/json" } });
  } catch (e) {
    throw new KeysUnavailable((e as Error).message);
  }
  if (!res.ok) throw new KeysUnavailable(`HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_JWKS_BYTES) throw new KeysUnavailable("too large");
  let json: { keys?: unknown };
  try {
    json = JSON.parse(text) as { keys?: unknown };
  } catch {
    throw new KeysUnavailable("not JSON");
  }
  if (!Array.isArray(json?.keys)) throw new KeysUnavailable("no keys");
  const keys = new Map<string, KeyObject>();
  for (const k of json.keys as Array<Record<string, unknown>>) {
    // Only RSA signing keys; a key marked for another algorithm is never used for RS256.
    if (!k || k.kty !== "RSA" || typeof k.kid !== "string" || (k.use !== undefined && k.use !== "sig") || (k.alg !== undefined && k.alg !== "RS256")) continue;
    try {
      keys.set(k.kid, createPublicKey({ key: { kty: "RSA", n: k.n as string, e: k.e as string }, format: "jwk" }));
    } catch {
      // An unreadable key is skipped; a token naming it is then refused as unknownKey.
    }
  }
  const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1]);
  const ttl = Number.isFinite(maxAge) && maxAge > 0 ? Math.min(maxAge, 86_400) : 3600;
  return { url, keys, expiresAt: now + ttl * 1000, fetchedAt: now };
}

async function keyFor(kid: string, url: string, now: number): Promise<KeyObject | null> {
  if (!cache || cache.url !== url || cache.expiresAt <= now) cache = await fetchKeys(url, now);
  const key = cache.keys.get(kid);
  if (key) return key;
  if (now - cache.fetchedAt < REFETCH_MS) return null;
  cache = await fetchKeys(url, now);
  return cache.keys.get(kid) ?? null;
}

function part(s: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new PushAuthError("malformedToken");
  try {
    const v = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as unknown;
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch {
    throw new PushAuthError("malformedToken");
  }
}

export interface PushExpectation {
  audience: string;
  /** The push subscription's service account; null accepts any Google-verified email. */
  serviceAccountEmail: string | null;
}

/**
 * Verifies the push request's Authorization header: a Google-signed RS256 ID token for our
 * audience and service account. Throws PushAuthError (refuse) or KeysUnavailable (retry later).
 */
export async function verifyPushToken(authorization: string | null, expect: PushExpectation, opts: { now?: Date; certsUrl?: string } = {}): Promise<PushClaims> {
  const m = /^Bearer ([^\s]+)$/i.exec(authorization?.trim() ?? "");
  if (!m) throw new PushAuthError("missingToken");
  const token = m[1]!;
  if (token.length > 8192) throw new PushAuthError("malformedToken");
  const pieces = token.split(".");
  if (pieces.length !== 3) throw new PushAuthError("malformedToken");
  const [h, p, s] = pieces as [string, string, string];
  const header = part(h);
  // Only RS256: "none" and HS256 (signed with the public key as a secret) are the classic forgeries.
  if (header.alg !== "RS256") throw new PushAuthError("algorithm");
  if (typeof header.kid !== "string" || !header.kid) throw new PushAuthError("unknownKey");
  const claims = part(p);
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new PushAuthError("badSignature");
  const now = (opts.now ?? new Date()).getTime();
  const key = await keyFor(header.kid, opts.certsUrl ?? googleCertsUrl(), now);
  if (!key) throw new PushAuthError("unknownKey");
  if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(s, "base64url"))) throw new PushAuthError("badSignature");

  const sec = Math.floor(now / 1000);
  const { iss, aud, exp, iat, email, email_verified: verified, sub } = claims;
  if (typeof iss !== "string" || !GOOGLE_ISSUERS.includes(iss)) throw new PushAuthError("issuer");
  if (typeof aud !== "string" || aud !== expect.audience) throw new PushAuthError("audience");
  if (typeof exp !== "number" || typeof iat !== "number") throw new PushAuthError("malformedToken");
  if (exp + SKEW_SECONDS < sec) throw new PushAuthError("expired");
  if (iat - SKEW_SECONDS > sec || exp - iat > MAX_LIFETIME_SECONDS) throw new PushAuthError("notYetValid");
  if (expect.serviceAccountEmail) {
    if (verified !== true) throw new PushAuthError("emailUnverified");
    if (typeof email !== "string" || email.toLowerCase() !== expect.serviceAccountEmail.toLowerCase()) throw new PushAuthError("email");
  }
  return { iss, aud, exp, iat, email: typeof email === "string" ? email : null, sub: typeof sub === "string" ? sub : null };
}

/** One push delivery, as read from the body. */
export interface PushEnvelope {
  messageId: string;
  publishTime: Date | null;
  subscription: string | null;
  attributes: Record<string, string>;
  /** `message.data` decoded; null when absent. */
  data: Buffer | null;
}

/** The push body; null when it is not one (not JSON, no message, no messageId, data not base64). */
export function parseEnvelope(body: Buffer): PushEnvelope | null {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  const message = (json as { message?: unknown } | null)?.message;
  if (!message || typeof message !== "object" || Array.isArray(message)) return null;
  const msg = message as Record<string, unknown>;
  const messageId = msg.messageId ?? msg.message_id;
  if (typeof messageId !== "string" || !messageId || messageId.length > 200) return null;
  const attributes: Record<string, string> = {};
  if (msg.attributes !== undefined) {
    if (!msg.attributes || typeof msg.attributes !== "object" || Array.isArray(msg.attributes)) return null;
    for (const [k, v] of Object.entries(msg.attributes)) if (typeof v === "string") attributes[k] = v;
  }
  let data: Buffer | null = null;
  if (msg.data !== undefined && msg.data !== null) {
    if (typeof msg.data !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(msg.data)) return null;
    data = Buffer.from(msg.data, "base64");
  }
  const t = typeof msg.publishTime === "string" ? new Date(msg.publishTime) : null;
  const sub = (json as { subscription?: unknown }).subscription;
  return { messageId, publishTime: t && !Number.isNaN(t.getTime()) ? t : null, subscription: typeof sub === "string" ? sub.slice(0, 300) : null, attributes, data };
}
