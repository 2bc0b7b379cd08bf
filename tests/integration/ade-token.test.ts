import { spawnSync } from "node:child_process";
import { X509Certificate, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeDep, DEFAULT_ACCOUNT, type FakeDep, type FakeDepCredentials } from "../support/fake-dep";
import { prisma } from "@/lib/db/client";
import { openString } from "@/lib/crypto";
import { generateAdeKeyPair } from "@/lib/pki/ade-token";
import { publicKeyMatches } from "@/lib/pki/x509";
import { adeCredentials, adePublicKeyPem, deleteAdeToken, ensureAdeKey, getAdeState, uploadAdeToken } from "@/lib/ade/service";
import { DepError, fetchDepAccount, oauthAuthorization, signatureBaseString, type DepCredentials } from "@/lib/ade/dep-client";
import { forgeToken, smime, tokenText } from "../support/ade-fixtures";

useOwnDatabase();

// Tokens are made the way Apple Business Manager makes them (S/MIME EnvelopedData to Mamori's
// certificate), and Apple's DEP API is tests/support/fake-dep.ts on 127.0.0.1. No mocks.

let dep: FakeDep;
let dir: string;
const saved = { DATABASE_URL: process.env.DATABASE_URL, DEP_URL: process.env.DEP_URL };
const ctx = { ip: "192.0.2.44", userAgent: "vitest" };
const actor = { id: randomUUID(), label: "admin@example.jp" };
const YEAR = 365 * 86_400_000;

function credentials(tag: string): FakeDepCredentials & { expiry: string } {
  return {
    consumerKey: `CK_${tag}_48dd68d198350f51258e885ce9a5c37ab7f98543c4a697323d75682a6c10a3`,
    consumerSecret: `CS_${tag}_34c7b2b531a600d99a0e4edcf4a78ded79b86ef3`,
    accessToken: `AT_${tag}_927696831c59ba510cfe4ec1a69e5267c19881257d4bca2906a99d0785b785a6`,
    accessSecret: `AS_${tag}_c03bd5e2d4d0b3c0d1f2e3a4b5c6d7e8f9a0b1c2`,
    expiry: new Date(Date.now() + YEAR).toISOString().replace(/\.\d+Z$/, "Z"),
  };
}
const MAIN = credentials("main");
const OTHER = credentials("other");
const UNKNOWN = credentials("unknown"); // valid token, but Apple does not know it

function opensslToken(content: string, certPem: string): Buffer {
  writeFileSync(path.join(dir, "cert.pem"), certPem);
  writeFileSync(path.join(dir, "msg.txt"), content);
  const args = ["smime", "-encrypt", "-aes256", "-binary", "-in", "msg.txt", "-out", "token.der", "-outform", "DER", "cert.pem"];
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl smime failed: ${r.stderr}`);
  return smime(readFileSync(path.join(dir, "token.der")));
}

async function row() {
  return prisma().adeToken.findUnique({ where: { id: 1 } });
}

async function failures() {
  return prisma().auditEvent.findMany({ where: { action: "adeToken.upload", result: "FAILURE" }, orderBy: { id: "asc" } });
}

async function refusal(file: Buffer) {
  return uploadAdeToken(file, actor, ctx).then(
    () => "accepted",
    (e) => e,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-ade-int-"));
  dep = await startFakeDep({ credentials: [MAIN, OTHER] });
  process.env.DEP_URL = dep.url;
});
afterAll(async () => {
  await dep.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterEach(() => dep.reset());

describe("Mamori's ADE key", () => {
  it("does not exist before it is made, and an upload then asks for it", async () => {
    expect(await getAdeState()).toEqual({ hasKey: false, publicKeyCreatedAt: null, token: null });
    expect(await adePublicKeyPem()).toBeNull();
    const e = await refusal(forgeToken(tokenText(MAIN), generateAdeKeyPair().certPem));
    expect(e).toMatchObject({ name: "UserError", code: "adeToken.noKey" });
    expect(await row()).toBeNull();
    expect((await failures()).at(-1)).toMatchObject({ actorId: actor.id, ip: ctx.ip, details: { code: "adeToken.noKey" } });
  });

  it("is created exactly once, even when raced", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => ensureAdeKey(actor, ctx)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.createdAt.getTime())).size).toBe(1);
    expect(await prisma().adeToken.count()).toBe(1);
    expect(await prisma().auditEvent.count({ where: { action: "adeToken.keyCreate" } })).toBe(1);
    expect(await ensureAdeKey(actor, ctx)).toMatchObject({ created: false });
    expect(await prisma().auditEvent.count({ where: { action: "adeToken.keyCreate" } })).toBe(1);

    const r = (await row())!;
    const certPem = (await adePublicKeyPem())!;
    expect(certPem).toBe(r.certPem);
    expect(certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect(certPem).not.toContain("PRIVATE");
    const x = new X509Certificate(certPem);
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // The private key is sealed, and the sealed key belongs to the certificate.
    expect(r.keySealed.startsWith("v1.")).toBe(true);
    expect(r.keySealed).not.toContain("PRIVATE KEY");
    expect(publicKeyMatches(certPem, openString(r.keySealed, "ade-key"))).toBe(true);
    expect(await getAdeState()).toEqual({ hasKey: true, publicKeyCreatedAt: r.keyCreatedAt, token: null });
  });
});

describe("uploading the server token", () => {
  it("stores the credentials sealed, the expiry, and the organisation name read from Apple", async () => {
    const certPem = (await adePublicKeyPem())!;
    const result = await uploadAdeToken(forgeToken(tokenText(MAIN), certPem), actor, ctx);
    expect(result).toMatchObject({ orgName: DEFAULT_ACCOUNT.org_name, serverName: DEFAULT_ACCOUNT.server_name, consumerKey: MAIN.consumerKey, warning: null });
    expect(result.accessTokenExpiry.toISOString()).toBe(new Date(MAIN.expiry).toISOString());

    const state = await getAdeState();
    expect(state.token).toMatchObject({ orgName: DEFAULT_ACCOUNT.org_name, consumerKey: MAIN.consumerKey, uploadedByLabel: actor.label });
    expect(state.token!.accessTokenExpiry.toISOString()).toBe(new Date(MAIN.expiry).toISOString());
    expect(JSON.stringify(state)).not.toContain(MAIN.consumerSecret);

    // No secret in clear anywhere in the row; the sealed blob opens to them.
    const [raw] = await prisma().$queryRaw<Record<string, unknown>[]>`SELECT * FROM ade_tokens`;
    const dump = JSON.stringify(raw);
    for (const secret of [MAIN.consumerSecret, MAIN.accessToken, MAIN.accessSecret]) expect(dump).not.toContain(secret);
    const opened = JSON.parse(openString((await row())!.credentialsSealed!, "ade-credentials"));
    expect(opened).toEqual({
      consumer_key: MAIN.consumerKey,
      consumer_secret: MAIN.consumerSecret,
      access_token: MAIN.accessToken,
      access_secret: MAIN.accessSecret,
      access_token_expiry: new Date(MAIN.expiry).toISOString(),
    });
    const sealed = (await row())!.credentialsSealed!;
    expect(() => openString(sealed, "ade-key")).toThrow(); // bound to its column
    expect(await adeCredentials()).toMatchObject({ consumerKey: MAIN.consumerKey, accessSecret: MAIN.accessSecret });

    // Apple was asked the way nanodep asks it.
    const [session, account] = dep.requests.slice(-2);
    expect(session).toMatchObject({ method: "GET", path: "/session", status: 200, verdict: "ok" });
    expect(session!.headers.authorization).toMatch(/^OAuth oauth_consumer_key="[^"]+", oauth_nonce="[0-9a-f]{32}", oauth_signature="[^"]+", oauth_signature_method="HMAC-SHA1", oauth_timestamp="\d+", oauth_token="[^"]+", oauth_version="1.0"$/);
    expect(account).toMatchObject({ method: "GET", path: "/account", status: 200, verdict: "ok" });
    expect(account!.headers["x-server-protocol-version"]).toBe("3");
    expect(account!.headers["x-adm-auth-session"]).toMatch(/^[0-9a-f]{48}$/);
    expect(account!.headers.authorization).toBeUndefined();

    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "adeToken.upload", result: "SUCCESS" }, orderBy: { id: "desc" } });
    expect(event).toMatchObject({ actorId: actor.id, actorLabel: actor.label, ip: ctx.ip, userAgent: "vitest", targetType: "adeToken", targetLabel: DEFAULT_ACCOUNT.org_name });
    expect(event.details).toMatchObject({ consumerKey: MAIN.consumerKey, orgName: DEFAULT_ACCOUNT.org_name, replaced: null });
    for (const secret of [MAIN.consumerSecret, MAIN.accessToken, MAIN.accessSecret]) expect(JSON.stringify(event.details)).not.toContain(secret);
  });

  it("accepts a token made by openssl smime (DER, wrapped as S/MIME) and replaces the earlier one", async () => {
    const token = opensslToken(tokenText(OTHER), (await adePublicKeyPem())!);
    expect(token.toString("latin1")).toMatch(/^Content-Type: application\/pkcs7-mime/);
    const result = await uploadAdeToken(token, actor, ctx);
    expect(result).toMatchObject({ consumerKey: OTHER.consumerKey, orgName: DEFAULT_ACCOUNT.org_name, warning: null });
    expect((await getAdeState()).token?.consumerKey).toBe(OTHER.consumerKey);
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "adeToken.upload", result: "SUCCESS" }, orderBy: { id: "desc" } });
    expect(event.details).toMatchObject({ consumerKey: OTHER.consumerKey, replaced: MAIN.consumerKey });
  });

  describe("refusals change nothing and are audited", () => {
    async function expectRefused(file: Buffer, code: string, params?: Record<string, unknown>) {
      const before = await row();
      const auditsBefore = await prisma().auditEvent.count();
      const requestsBefore = dep.requests.length;
      const e = await refusal(file);
      expect(e).toMatchObject({ name: "UserError", code, ...(params ? { params } : {}) });
      expect(await row()).toEqual(before);
      expect(dep.requests.length).toBe(requestsBefore); // Apple is not even asked
      expect(await prisma().auditEvent.count()).toBe(auditsBefore + 1);
      expect((await failures()).at(-1)).toMatchObject({ actorId: actor.id, result: "FAILURE", targetType: "adeToken", details: { code, ...(params ?? {}) } });
    }

    it("a token made for another key", async () => {
      const other = generateAdeKeyPair();
      await expectRefused(forgeToken(tokenText(MAIN), other.certPem), "adeToken.wrongKey");
      await expectRefused(opensslToken(tokenText(MAIN), other.certPem), "adeToken.wrongKey");
    });

    it("a file that is not a token", async () => {
      await expectRefused(Buffer.from("hello, this is not a token\n"), "adeToken.notToken");
      await expectRefused(Buffer.from((await adePublicKeyPem())!), "adeToken.notToken");
      await expectRefused(Buffer.alloc(0), "adeToken.notToken");
    });

    it("a token without usable credentials", async () => {
      const certPem = (await adePublicKeyPem())!;
      await expectRefused(forgeToken("-----BEGIN MESSAGE-----\nnot json\n-----END MESSAGE-----\n", certPem), "adeToken.badContent");
      await expectRefused(forgeToken(tokenText(MAIN, { access_secret: undefined }), certPem), "adeToken.badContent");
    });

    it("an expired token, naming the date", async () => {
      const expired = "2025-01-31T09:00:00Z";
      await expectRefused(forgeToken(tokenText(MAIN, { access_token_expiry: expired }), (await adePublicKeyPem())!), "adeToken.expired", {
        date: "2025-01-31T09:00:00.000Z",
      });
    });

    it("a file over 64 KB, before trying to read it", async () => {
      const big = Buffer.concat([forgeToken(tokenText(MAIN), (await adePublicKeyPem())!), Buffer.alloc(64 * 1024, 0x20)]);
      await expectRefused(big, "adeToken.tooLarge", { maxKb: 64 });
    });
  });

  describe("when Apple cannot tell the organisation name", () => {
    async function expectKeptWithWarning(reasonCode: string, params: Record<string, unknown> = {}) {
      await deleteAdeToken(actor, ctx);
      const result = await uploadAdeToken(forgeToken(tokenText(MAIN), (await adePublicKeyPem())!), actor, ctx);
      expect(result).toMatchObject({ orgName: null, consumerKey: MAIN.consumerKey, warning: { code: "adeToken.orgNameUnavailable", reasonCode, params } });
      expect(result.warning!.detail).toBeTruthy();
      const state = await getAdeState();
      expect(state.token).toMatchObject({ orgName: null, consumerKey: MAIN.consumerKey });
      expect(await adeCredentials()).toMatchObject({ accessSecret: MAIN.accessSecret });
      const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "adeToken.upload" }, orderBy: { id: "desc" } });
      expect(event).toMatchObject({ result: "SUCCESS", details: { orgName: null, warning: reasonCode } });
      return result.warning!;
    }

    it("keeps the token when Apple's server is down", async () => {
      dep.setDown(true);
      const w = await expectKeptWithWarning("adeToken.depReason.network");
      expect(w.detail).toMatch(/^\/session: /);
    });

    it("keeps the token when Apple answers 403 ACCESS_DENIED (on /session or /account)", async () => {
      dep.override("/session", 403, "ACCESS_DENIED");
      expect((await expectKeptWithWarning("adeToken.depReason.accessDenied", { status: 403 })).detail).toBe("/session: 403 ACCESS_DENIED");
      dep.reset();
      dep.override("/account", 403, "ACCESS_DENIED");
      expect((await expectKeptWithWarning("adeToken.depReason.accessDenied", { status: 403 })).detail).toBe("/account: 403 ACCESS_DENIED");
    });

    it("tells unsigned terms and conditions apart", async () => {
      dep.override("/account", 403, '"T_C_NOT_SIGNED"');
      await expectKeptWithWarning("adeToken.depReason.termsNotSigned", { status: 403 });
    });

    it("keeps a token Apple does not accept (401)", async () => {
      await deleteAdeToken(actor, ctx);
      const result = await uploadAdeToken(forgeToken(tokenText(UNKNOWN), (await adePublicKeyPem())!), actor, ctx);
      expect(result.warning).toMatchObject({ reasonCode: "adeToken.depReason.unauthorized", params: { status: 401 } });
      expect(dep.requests.at(-1)).toMatchObject({ path: "/session", status: 401, verdict: "unknownConsumerKey" });
      expect((await getAdeState()).token).toMatchObject({ consumerKey: UNKNOWN.consumerKey, orgName: null });
    });
  });
});

describe("deleting the token", () => {
  it("removes the token but keeps the key, audited; a second delete is a no-op", async () => {
    const certBefore = await adePublicKeyPem();
    const consumerKey = (await getAdeState()).token!.consumerKey;
    expect(await deleteAdeToken(actor, ctx)).toBe(true);
    expect(await getAdeState()).toMatchObject({ hasKey: true, token: null });
    expect(await adePublicKeyPem()).toBe(certBefore);
    expect(await adeCredentials()).toBeNull();
    const r = (await row())!;
    expect([r.credentialsSealed, r.consumerKey, r.orgName, r.accessTokenExpiry, r.uploadedAt, r.uploadedByLabel]).toEqual([null, null, null, null, null, null]);
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "adeToken.delete" }, orderBy: { id: "desc" } });
    expect(event).toMatchObject({ result: "SUCCESS", actorId: actor.id, details: { consumerKey } });
    const count = await prisma().auditEvent.count({ where: { action: "adeToken.delete" } });
    expect(await deleteAdeToken(actor, ctx)).toBe(false);
    expect(await prisma().auditEvent.count({ where: { action: "adeToken.delete" } })).toBe(count);
  });
});

describe("the audit trail", () => {
  it("holds no secret from any token, refused or accepted", async () => {
    const all = await prisma().auditEvent.findMany({ where: { action: { startsWith: "adeToken." } } });
    const dump = JSON.stringify(all, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    for (const c of [MAIN, OTHER, UNKNOWN]) for (const secret of [c.consumerSecret, c.accessToken, c.accessSecret]) expect(dump).not.toContain(secret);
    expect(dump).not.toContain("PRIVATE KEY");
  });
});

describe("DEP client against the strict fake", () => {
  const creds: DepCredentials = MAIN;

  it("signs /session so that the fake's own recomputation verifies it", async () => {
    const account = await fetchDepAccount(creds, { baseUrl: dep.url });
    expect(account).toMatchObject({ orgName: DEFAULT_ACCOUNT.org_name, serverName: DEFAULT_ACCOUNT.server_name, serverUuid: DEFAULT_ACCOUNT.server_uuid, orgType: "org", orgId: "9001234" });
    // The base string both sides built is the same string.
    const session = dep.requests.findLast((r) => r.path === "/session")!;
    const params = Object.fromEntries([...session.headers.authorization!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, decodeURIComponent(m[2]!)]));
    const { oauth_signature: _sig, ...signed } = params;
    expect(signatureBaseString("GET", `${dep.url}/session`, signed)).toBe(dep.lastBaseString);
  });

  it("fails on the fake with a wrong access secret or consumer secret", async () => {
    for (const wrong of [{ ...creds, accessSecret: creds.accessSecret + "x" }, { ...creds, consumerSecret: "CS_wrong" }]) {
      const e = await fetchDepAccount(wrong, { baseUrl: dep.url }).catch((x) => x);
      expect(e).toBeInstanceOf(DepError);
      expect(e).toMatchObject({ reason: "unauthorized", status: 401 });
      expect(dep.requests.at(-1)).toMatchObject({ path: "/session", status: 401, verdict: "badSignature" });
    }
  });

  it("gives up after the time limit when Apple does not answer", async () => {
    dep.setHang(true);
    const started = Date.now();
    const e = await fetchDepAccount(creds, { baseUrl: dep.url, timeoutMs: 300 }).catch((x) => x);
    expect(e).toMatchObject({ name: "DepError", reason: "timeout" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("matches gomodule/oauth1's (nanodep's signer) known answers", () => {
    // Vectors from github.com/gomodule/oauth1 oauth/oauth_test.go (form parameters sent as query).
    expect(
      oauthAuthorization(
        "GET",
        "https://api.twitter.com/1/?page=10",
        { consumerKey: "kMViZR2MHk2mM7hUNVw9A", consumerSecret: "56Fgl58yOfqXOhHXX0ybvOmSnPQFvR2miYmm30A", accessToken: "10212-JJ3Zc1A49qSMgdcAO2GMOpW9l7A348ESmhjmOBOU", accessSecret: "yF75mvq4LZMHj9O0DXwoC3ZxUnN1ptvieThYuOAYM" },
        { nonce: "8067e8abc6bdca2006818132445c8f4c", timestamp: 1355795903 },
      ),
    ).toBe(
      'OAuth oauth_consumer_key="kMViZR2MHk2mM7hUNVw9A", oauth_nonce="8067e8abc6bdca2006818132445c8f4c", oauth_signature="o5cx1ggJrY9ognZuVVeUwglKV8U%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1355795903", oauth_token="10212-JJ3Zc1A49qSMgdcAO2GMOpW9l7A348ESmhjmOBOU", oauth_version="1.0"',
    );
    const special = { consumerKey: "dpf43f3++p+#2l4k3l03", consumerSecret: "secret01", accessToken: "nnch734d(0)0sl2jdk", accessSecret: "secret02" };
    const fixed = { nonce: "kllo~9940~pd9333jh", timestamp: 1191242096 };
    const url = "http://PHOTOS.example.net:8001/Photos?photo%20size=300%25&title=Back%20of%20%24100%20Dollars%20Bill";
    expect(signatureBaseString("GET", url, {
      oauth_consumer_key: special.consumerKey, oauth_nonce: fixed.nonce, oauth_signature_method: "HMAC-SHA1",
      oauth_timestamp: String(fixed.timestamp), oauth_token: special.accessToken, oauth_version: "1.0",
    })).toBe(
      "GET&http%3A%2F%2Fphotos.example.net%3A8001%2FPhotos&oauth_consumer_key%3Ddpf43f3%252B%252Bp%252B%25232l4k3l03%26oauth_nonce%3Dkllo~9940~pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d%25280%25290sl2jdk%26oauth_version%3D1.0%26photo%2520size%3D300%2525%26title%3DBack%2520of%2520%2524100%2520Dollars%2520Bill",
    );
    expect(oauthAuthorization("GET", url, special, fixed)).toContain('oauth_signature="n1UAoQy2PoIYizZUiWvkdCxM3P0%3D"');
    expect(
      oauthAuthorization("GET", "http://EXAMPLE.COM:80/Space%20Craft?name=value&name=value", { consumerKey: "abcd", consumerSecret: "efgh", accessToken: "ijkl", accessSecret: "mnop" }, { nonce: "Ix4U1Ei3RFL", timestamp: 1327384901 }),
    ).toContain('oauth_signature="TZZ5u7qQorLnmKs%2Biqunb8gqkh4%3D"');
  });
});

describe("the fake DEP server is strict", () => {
  const session = (authorization: string | undefined, url = `${dep.url}/session`) =>
    fetch(url, { headers: authorization ? { Authorization: authorization } : {} }).then(async (r) => ({ status: r.status, body: await r.text() }));
  const now = () => Math.floor(Date.now() / 1000);

  it("refuses a reused nonce and a stale timestamp", async () => {
    const header = oauthAuthorization("GET", `${dep.url}/session`, MAIN, { nonce: "n-once", timestamp: now() });
    expect((await session(header)).status).toBe(200);
    expect(await session(header)).toEqual({ status: 401, body: "UNAUTHORIZED" });
    expect(dep.requests.at(-1)!.verdict).toBe("reusedNonce");
    const stale = oauthAuthorization("GET", `${dep.url}/session`, MAIN, { timestamp: now() - 3600 });
    expect((await session(stale)).status).toBe(401);
    expect(dep.requests.at(-1)!.verdict).toBe("staleTimestamp");
  });

  it("checks the signature over method, URL and query", async () => {
    const signedForOtherPath = oauthAuthorization("GET", `${dep.url}/account`, MAIN);
    expect((await session(signedForOtherPath)).status).toBe(401);
    expect(dep.requests.at(-1)!.verdict).toBe("badSignature");
    const signedWithoutQuery = oauthAuthorization("GET", `${dep.url}/session`, MAIN);
    expect((await session(signedWithoutQuery, `${dep.url}/session?x=1`)).status).toBe(401);
    const signedWithQuery = oauthAuthorization("GET", `${dep.url}/session?x=1`, MAIN);
    expect((await session(signedWithQuery, `${dep.url}/session?x=1`)).status).toBe(200);
    // A realm is allowed and, per RFC 5849, left out of the signature.
    const withRealm = oauthAuthorization("GET", `${dep.url}/session`, MAIN).replace(/^OAuth /, 'OAuth realm="ADM", ');
    expect((await session(withRealm)).status).toBe(200);
  });

  it("answers malformed OAuth with 400", async () => {
    const good = oauthAuthorization("GET", `${dep.url}/session`, MAIN);
    expect((await session(undefined)).status).toBe(400);
    expect((await session(good.replace(/, oauth_nonce="[^"]*"/, ""))).status).toBe(400);
    expect((await session(good.replace("HMAC-SHA1", "HMAC-SHA256"))).status).toBe(400);
    expect((await session(good + ', oauth_nonce="again"')).status).toBe(400);
    expect(dep.requests.at(-1)!.verdict).toBe("duplicateParameter");
  });

  it("wants the session token and protocol version on /account", async () => {
    const { auth_session_token: token } = await fetch(`${dep.url}/session`, { headers: { Authorization: oauthAuthorization("GET", `${dep.url}/session`, MAIN) } }).then((r) => r.json());
    const account = (headers: Record<string, string>) => fetch(`${dep.url}/account`, { headers }).then((r) => r.status);
    expect(await account({ "X-ADM-Auth-Session": token })).toBe(400);
    expect(await account({ "X-Server-Protocol-Version": "3" })).toBe(401);
    expect(await account({ "X-Server-Protocol-Version": "3", "X-ADM-Auth-Session": "made-up" })).toBe(401);
    expect(await account({ "X-Server-Protocol-Version": "3", "X-ADM-Auth-Session": token })).toBe(200);
  });
});
