import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdeKeyPair, decryptAdeToken, generateAdeKeyPair } from "@/lib/pki/ade-token";
import { publicKeyMatches } from "@/lib/pki/x509";
import { codeOf } from "@/tests/support/refusal";

// Tokens are made the way Apple Business Manager makes them: S/MIME enveloped to our certificate.

const CREDENTIALS = {
  consumer_key: "CK_48f1a2b3c4d5e6f7",
  consumer_secret: "CS_0a1b2c3d4e5f",
  access_token: "AT_9f8e7d6c5b4a",
  access_secret: "AS_1234567890ab",
  access_token_expiry: "2027-11-24T10:00:00Z",
};
const WRAPPED =
  "Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
  `-----BEGIN MESSAGE-----\n${JSON.stringify(CREDENTIALS)}\n-----END MESSAGE-----\n`;

let dir: string;
let ours: AdeKeyPair;
let theirs: AdeKeyPair;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-ade-"));
  ours = generateAdeKeyPair();
  theirs = generateAdeKeyPair();
  writeFileSync(path.join(dir, "ours.pem"), ours.certPem);
  writeFileSync(path.join(dir, "theirs.pem"), theirs.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** S/MIME text as ABM sends it: MIME headers, blank line, base64 EnvelopedData. */
function smime(der: Buffer): string {
  const b64 = der.toString("base64").match(/.{1,64}/g)!.join("\r\n");
  return (
    "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n" +
    "Content-Transfer-Encoding: base64\r\n" +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n' +
    b64 +
    "\r\n"
  );
}

function forgeEnvelope(content: string, certPem = ours.certPem): Buffer {
  const p7 = forge.pkcs7.createEnvelopedData();
  p7.addRecipient(forge.pki.certificateFromPem(certPem));
  p7.content = forge.util.createBuffer(forge.util.encodeUtf8(content));
  p7.encrypt(undefined, forge.pki.oids["aes256-CBC"]);
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary");
}

function opensslEncrypt(content: string, certFile: string, outform: "SMIME" | "DER" = "SMIME"): Buffer {
  writeFileSync(path.join(dir, "msg.txt"), content);
  const args = ["smime", "-encrypt", "-aes256", "-binary", "-in", "msg.txt", "-out", "token.p7m", "-outform", outform, certFile];
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl smime failed: ${r.stderr}`);
  return readFileSync(path.join(dir, "token.p7m"));
}

function expectCredentials(token: ReturnType<typeof decryptAdeToken>) {
  expect(token).toMatchObject({
    consumerKey: CREDENTIALS.consumer_key,
    consumerSecret: CREDENTIALS.consumer_secret,
    accessToken: CREDENTIALS.access_token,
    accessSecret: CREDENTIALS.access_secret,
  });
  expect(token.accessTokenExpiry.toISOString()).toBe("2027-11-24T10:00:00.000Z");
  expect(token.raw).toEqual(CREDENTIALS);
}

describe("generateAdeKeyPair", () => {
  it("makes a self-signed RSA 2048 certificate valid for one year", () => {
    const x = new X509Certificate(ours.certPem);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.subject).toBe(x.issuer);
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(366);
    expect(publicKeyMatches(ours.certPem, ours.keyPem)).toBe(true);
    const text = spawnSync("openssl", ["x509", "-in", "ours.pem", "-noout", "-text"], { cwd: dir, encoding: "utf8" });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("sha256WithRSAEncryption");
  });
});

describe("decryptAdeToken", () => {
  it("decrypts a forge-made S/MIME token (AES-256-CBC)", () => {
    expectCredentials(decryptAdeToken(smime(forgeEnvelope(WRAPPED)), ours.keyPem, ours.certPem));
  });

  it("decrypts tokens made by openssl smime -encrypt -aes256 -binary", () => {
    const token = opensslEncrypt(WRAPPED, "ours.pem");
    expect(token.toString("latin1")).toMatch(/^MIME-Version: 1.0/);
    expectCredentials(decryptAdeToken(token, ours.keyPem, ours.certPem));
    expectCredentials(decryptAdeToken(token.toString("utf8"), ours.keyPem, ours.certPem));
    expectCredentials(decryptAdeToken(opensslEncrypt(WRAPPED, "ours.pem", "DER"), ours.keyPem, ours.certPem));
  });

  it("accepts bare base64 without MIME headers and JSON without wrapper lines", () => {
    const bare = forgeEnvelope(JSON.stringify(CREDENTIALS)).toString("base64");
    expectCredentials(decryptAdeToken(bare, ours.keyPem, ours.certPem));
  });

  it("refuses a token encrypted to another key", () => {
    const forOthers = opensslEncrypt(WRAPPED, "theirs.pem");
    expect(codeOf(() => decryptAdeToken(forOthers, ours.keyPem, ours.certPem))).toBe("adeToken.wrongKey");
    // Recipient names our certificate, but the key we hold is another one: decryption fails.
    const forUs = opensslEncrypt(WRAPPED, "ours.pem");
    expect(codeOf(() => decryptAdeToken(forUs, theirs.keyPem, ours.certPem))).toBe("adeToken.wrongKey");
  });

  it("refuses files that are not a token", () => {
    expect(codeOf(() => decryptAdeToken("hello world", ours.keyPem, ours.certPem))).toBe("adeToken.notToken");
    expect(codeOf(() => decryptAdeToken("Content-Type: text/plain\r\n\r\naGVsbG8=", ours.keyPem, ours.certPem))).toBe(
      "adeToken.notToken",
    );
    const certDer = new X509Certificate(ours.certPem).raw;
    expect(codeOf(() => decryptAdeToken(certDer, ours.keyPem, ours.certPem))).toBe("adeToken.notToken");
    expect(codeOf(() => decryptAdeToken(smime(certDer), ours.keyPem, ours.certPem))).toBe("adeToken.notToken");
  });

  it("refuses decrypted content without usable credentials", () => {
    const decrypt = (content: string) => () => decryptAdeToken(smime(forgeEnvelope(content)), ours.keyPem, ours.certPem);
    expect(codeOf(decrypt("no json here"))).toBe("adeToken.badContent");
    expect(codeOf(decrypt("-----BEGIN MESSAGE-----\n{not json}\n-----END MESSAGE-----"))).toBe("adeToken.badContent");
    const { access_secret: _omit, ...missing } = CREDENTIALS;
    expect(codeOf(decrypt(JSON.stringify(missing)))).toBe("adeToken.badContent");
    expect(codeOf(decrypt(JSON.stringify({ ...CREDENTIALS, access_token_expiry: "someday" })))).toBe("adeToken.badContent");
    // Not ASCII tokens (found by tests/fuzz): a lone surrogate broke the OAuth signature, a NUL the database write.
    for (const odd of ["\ud800", "CK_\u0000x", "with space", "日本", "x".repeat(1025)]) {
      expect(codeOf(decrypt(JSON.stringify({ ...CREDENTIALS, consumer_key: odd }))), odd.slice(0, 10)).toBe("adeToken.badContent");
    }
  });
});
