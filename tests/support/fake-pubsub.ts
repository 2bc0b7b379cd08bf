import http from "node:http";
import { createHmac, createSign, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { listenOnLoopback } from "./listen";

// A local stand-in for Google's side of an authenticated Pub/Sub push: a JWKS endpoint like
// https://www.googleapis.com/oauth2/v3/certs serving real RSA public keys, Google-style ID
// tokens signed with them (RS256, iss https://accounts.google.com, aud, email, email_verified,
// iat, exp: https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions), and a pusher
// that POSTs the wrapped push body exactly as Pub/Sub does (https://cloud.google.com/pubsub/docs/push).
// Written apart from lib/android/pubsub.ts; every forgery is made for real, not described.

export interface Forgery {
  /** Signed with a key the JWKS does not publish, under a published kid. */
  wrongKey?: boolean;
  /** A kid the JWKS does not know. */
  unknownKid?: boolean;
  /** No kid in the header. */
  noKid?: boolean;
  /** alg "none", no signature. */
  algNone?: boolean;
  /** alg HS256, signed with the published key's PEM as the HMAC secret (the classic confusion). */
  hs256?: boolean;
  /** The payload changed after signing. */
  tampered?: boolean;
  expired?: boolean;
  /** iat in the future. */
  future?: boolean;
  aud?: string;
  iss?: string;
  email?: string;
  emailVerified?: boolean;
}

export interface TokenOptions extends Forgery {
  audience: string;
  serviceAccountEmail: string;
  now?: Date;
}

export interface PushMessage {
  notificationType?: string;
  /** Object → JSON → base64, as AMAPI sends its resources; a string is sent as its bytes. */
  data?: unknown;
  /** Raw `message.data` as is (to send something that is not base64). */
  rawData?: string;
  messageId?: string;
  publishTime?: Date;
  attributes?: Record<string, string>;
}

export interface FakeGoogleOidc {
  certsUrl: string;
  kid: string;
  /** Publishes a new key under a new kid and signs with it from now on (the old one stays listed). */
  rotate(): void;
  /** A Google-style ID token (forged as asked). */
  token(o: TokenOptions): string;
  /** The push body Pub/Sub sends for one message. */
  envelope(m: PushMessage): Record<string, unknown>;
  /** POSTs one push to `url` with `Authorization: Bearer <token>` (token: null sends none). */
  push(url: string, m: PushMessage, auth: TokenOptions | { token: string | null }): Promise<Response>;
  /** How often the JWKS was fetched. */
  fetches: number;
  close(): Promise<void>;
}

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

export async function startFakeGoogleOidc(opts: { port?: number; subscription?: string } = {}): Promise<FakeGoogleOidc> {
  const keys: Array<{ kid: string; privateKey: KeyObject; publicKey: KeyObject }> = [];
  const addKey = () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    keys.push({ kid: randomBytes(20).toString("hex"), privateKey, publicKey });
  };
  addKey();
  const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  let counter = 0;

  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/oauth2/v3/certs") {
      res.writeHead(404).end();
      return;
    }
    fake.fetches++;
    const jwks = { keys: keys.map((k) => ({ ...k.publicKey.export({ format: "jwk" }), kid: k.kid, use: "sig", alg: "RS256" })) };
    res.writeHead(200, { "content-type": "application/json; charset=UTF-8", "cache-control": "public, max-age=21600, must-revalidate, no-transform" });
    res.end(JSON.stringify(jwks));
  });
  const port = opts.port ?? 0;
  if (port) await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve()));
  const actualPort = port || (await listenOnLoopback(server));

  const current = () => keys[keys.length - 1]!;

  function token(o: TokenOptions): string {
    const now = Math.floor((o.now ?? new Date()).getTime() / 1000);
    const iat = o.expired ? now - 7200 : o.future ? now + 600 : now;
    const claims = {
      aud: o.aud ?? o.audience,
      azp: "113774264463038321964",
      email: o.email ?? o.serviceAccountEmail,
      email_verified: o.emailVerified ?? true,
      exp: iat + 3600,
      iat,
      iss: o.iss ?? "https://accounts.google.com",
      sub: "113774264463038321964",
    };
    const key = current();
    const header: Record<string, unknown> = { alg: o.algNone ? "none" : o.hs256 ? "HS256" : "RS256", typ: "JWT" };
    if (!o.noKid) header.kid = o.unknownKid ? randomBytes(20).toString("hex") : key.kid;
    const input = `${b64(header)}.${b64(claims)}`;
    if (o.algNone) return `${input}.`;
    const signature = o.hs256
      ? createHmac("sha256", key.publicKey.export({ type: "spki", format: "pem" })).update(input).digest()
      : createSign("RSA-SHA256").update(input).sign(o.wrongKey ? stranger : key.privateKey);
    if (o.tampered) return `${b64(header)}.${b64({ ...claims, email: "attacker@evil.example" })}.${signature.toString("base64url")}`;
    return `${input}.${signature.toString("base64url")}`;
  }

  function envelope(m: PushMessage): Record<string, unknown> {
    const id = m.messageId ?? String(10_000_000_000_000 + ++counter);
    const published = (m.publishTime ?? new Date()).toISOString();
    const data = m.rawData ?? (m.data === undefined ? undefined : Buffer.from(typeof m.data === "string" ? m.data : JSON.stringify(m.data)).toString("base64"));
    const attributes = { ...(m.notificationType && { notificationType: m.notificationType }), ...m.attributes };
    return {
      // Pub/Sub sends both spellings of the id and the time.
      message: { attributes, ...(data !== undefined && { data }), messageId: id, message_id: id, publishTime: published, publish_time: published },
      subscription: opts.subscription ?? "projects/mamori-test/subscriptions/android-push",
    };
  }

  const fake: FakeGoogleOidc = {
    certsUrl: `http://127.0.0.1:${actualPort}/oauth2/v3/certs`,
    get kid() {
      return current().kid;
    },
    rotate: addKey,
    token,
    envelope,
    async push(url, m, auth) {
      const bearer = "token" in auth ? auth.token : token(auth);
      return fetch(url, {
        method: "POST",
        // What Pub/Sub's pusher sends: JSON, its user agent, no Origin, no cookies.
        headers: { "content-type": "application/json", "user-agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)", ...(bearer !== null && { authorization: `Bearer ${bearer}` }) },
        body: JSON.stringify(envelope(m)),
        redirect: "manual",
      });
    },
    fetches: 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
  return fake;
}
