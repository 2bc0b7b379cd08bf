import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";
import { UserError } from "@/lib/errors";

// ADE server token (PROTOCOL.md section 8b): Mamori hands Apple Business Manager a certificate,
// ABM returns an S/MIME file (CMS EnvelopedData) encrypted to it, holding OAuth 1.0a credentials.

export interface AdeKeyPair {
  /** PKCS#8 PEM; stays in the portal. */
  keyPem: string;
  /** Self-signed certificate to upload to Apple Business Manager. */
  certPem: string;
}

export interface AdeToken {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
  accessTokenExpiry: Date;
  raw: Record<string, unknown>;
}

const YEAR_MS = 365 * 86_400_000;

export function generateAdeKeyPair(now: Date = new Date(), commonName = "Mamori ADE Token"): AdeKeyPair {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 }); // native, unlike forge's
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and without a leading zero byte
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate clock skew
  cert.validity.notAfter = new Date(now.getTime() + YEAR_MS);
  const name = [{ name: "commonName", value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", keyEncipherment: true, dataEncipherment: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { keyPem, certPem: forge.pki.certificateToPem(cert).replace(/\r\n/g, "\n") };
}

export function decryptAdeToken(p7m: Buffer | string, keyPem: string, certPem: string): AdeToken {
  const msg = readEnvelope(p7m);
  const cert = forge.pki.certificateFromPem(certPem);
  const recipient = msg.findRecipient(cert);
  if (!recipient) throw new UserError("adeToken.wrongKey");
  try {
    msg.decrypt(recipient, forge.pki.privateKeyFromPem(keyPem));
  } catch {
    throw new UserError("adeToken.wrongKey");
  }
  const content = Buffer.from(msg.content?.getBytes() ?? "", "binary").toString("utf8");
  return parseTokenJson(content);
}

interface Enveloped {
  findRecipient(cert: forge.pki.Certificate): unknown;
  decrypt(recipient: unknown, key: forge.pki.PrivateKey): void;
  content?: forge.util.ByteBuffer;
}

/** S/MIME (headers + base64), bare base64, PEM or DER, down to forge's EnvelopedData. */
function readEnvelope(p7m: Buffer | string): Enveloped {
  const der = toDer(p7m);
  if (!der) throw new UserError("adeToken.notToken");
  try {
    const msg = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString("binary")));
    if ((msg as { type?: string }).type !== forge.pki.oids.envelopedData) throw new Error("not enveloped");
    return msg as unknown as Enveloped;
  } catch {
    throw new UserError("adeToken.notToken");
  }
}

function toDer(p7m: Buffer | string): Buffer | null {
  if (Buffer.isBuffer(p7m) && p7m[0] === 0x30) return p7m; // DER/BER SEQUENCE
  const BOM = /^(?:\uFEFF|\u00EF\u00BB\u00BF)/; // decoded, or UTF-8 bytes read as latin1
  let text = (Buffer.isBuffer(p7m) ? p7m.toString("latin1") : p7m).replace(BOM, "");
  const pem = /-----BEGIN (?:PKCS7|CMS)-----([\s\S]*?)-----END (?:PKCS7|CMS)-----/.exec(text);
  if (pem) {
    text = pem[1]!;
  } else if (/^[A-Za-z][A-Za-z0-9-]*:/.test(text.trimStart())) {
    // MIME: headers, blank line, body. Refuse other MIME types early.
    const split = /\r?\n\r?\n/.exec(text);
    if (!split) return null;
    const headers = text.slice(0, split.index);
    if (/content-type:/i.test(headers) && !/pkcs7-mime/i.test(headers)) return null;
    text = text.slice(split.index + split[0].length);
  }
  const b64 = text.replace(/\s+/g, "");
  if (b64.length === 0 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return null;
  return Buffer.from(b64, "base64");
}

const FIELDS = {
  consumerKey: "consumer_key",
  consumerSecret: "consumer_secret",
  accessToken: "access_token",
  accessSecret: "access_secret",
} as const;

const TOKEN_VALUE = /^[\x21-\x7e]{1,1024}$/;

function parseTokenJson(content: string): AdeToken {
  // Inside "-----BEGIN MESSAGE-----"/"-----END MESSAGE-----" when present; else the outermost braces.
  const wrapped = /-----BEGIN MESSAGE-----([\s\S]*?)-----END MESSAGE-----/.exec(content);
  const body = wrapped ? wrapped[1]! : content;
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  if (start < 0 || end < start) throw new UserError("adeToken.badContent");
  let raw: unknown;
  try {
    raw = JSON.parse(body.slice(start, end + 1));
  } catch {
    throw new UserError("adeToken.badContent");
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new UserError("adeToken.badContent");
  const obj = raw as Record<string, unknown>;

  const out: Partial<Record<keyof typeof FIELDS, string>> = {};
  for (const [prop, key] of Object.entries(FIELDS) as [keyof typeof FIELDS, string][]) {
    const v = obj[key];
    // Apple's are ASCII tokens; anything else (a NUL, a lone surrogate) would fail the OAuth
    // signature or the database write later with a 500 instead of this refusal.
    if (typeof v !== "string" || !TOKEN_VALUE.test(v)) throw new UserError("adeToken.badContent");
    out[prop] = v;
  }
  const expiry = typeof obj.access_token_expiry === "string" ? new Date(obj.access_token_expiry) : null;
  if (!expiry || Number.isNaN(expiry.getTime())) throw new UserError("adeToken.badContent");

  return {
    consumerKey: out.consumerKey!,
    consumerSecret: out.consumerSecret!,
    accessToken: out.accessToken!,
    accessSecret: out.accessSecret!,
    accessTokenExpiry: expiry,
    raw: obj,
  };
}
