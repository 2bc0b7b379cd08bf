import { X509Certificate, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import forge from "node-forge";
import { UserError } from "@/lib/errors";

export interface X509Info {
  /** Attributes in certificate order (as OpenSSL and Apple print them), RFC 4514 escaping. */
  subject: string;
  issuer: string;
  /** Upper-case hex, as stored in the certificate (no added or removed leading zeros). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate DER, "AB:CD:…" as `openssl x509 -fingerprint -sha256` shows it. */
  fingerprintSha256: string;
  /** SHA-256 of the SubjectPublicKeyInfo DER, lower-case hex: the key's identity. */
  publicKeySpkiSha256: string;
  /** Subject UID (0.9.2342.19200300.100.1.1): the APNs topic on push certificates. */
  uid: string | null;
  commonName: string | null;
  pem: string;
}

const OID_UID = "0.9.2342.19200300.100.1.1";
const OID_CN = "2.5.4.3";
const SHORT_NAMES: Record<string, string> = {
  [OID_CN]: "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.5": "serialNumber",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  [OID_UID]: "UID",
  "1.2.840.113549.1.9.1": "emailAddress",
};

const PEM_CERT = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/** Every certificate in the input: all CERTIFICATE blocks of a PEM (other blocks such as keys are ignored), or one DER. */
export function certificatesFromInput(input: Buffer | string): Buffer[] {
  const text = typeof input === "string" ? input : input.toString("latin1");
  const blocks = [...text.matchAll(PEM_CERT)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  if (blocks.length > 0) return blocks;
  if (typeof input === "string") return [];
  return [input];
}

export function toPem(der: Buffer, label = "CERTIFICATE"): string {
  const b64 = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${b64.join("\n")}\n-----END ${label}-----\n`;
}

/** Parse one certificate (the first one of a PEM). Anything else is `pushCert.notCertificate`. */
export function describeCertificate(input: Buffer | string): X509Info {
  const der = certificatesFromInput(input)[0];
  if (!der) throw new UserError("pushCert.notCertificate");
  return describeDer(der);
}

export function describeDer(der: Buffer): X509Info {
  let x509: X509Certificate;
  let tbs: TbsFields;
  try {
    x509 = new X509Certificate(der);
    tbs = readTbs(x509.raw);
  } catch {
    throw new UserError("pushCert.notCertificate");
  }
  const spki = x509.publicKey.export({ type: "spki", format: "der" });
  return {
    subject: formatName(tbs.subject),
    issuer: formatName(tbs.issuer),
    serial: x509.serialNumber.toUpperCase(),
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    fingerprintSha256: x509.fingerprint256.toUpperCase(),
    publicKeySpkiSha256: createHash("sha256").update(spki).digest("hex"),
    uid: tbs.subject.find((a) => a.oid === OID_UID)?.value ?? null,
    commonName: tbs.subject.find((a) => a.oid === OID_CN)?.value ?? null,
    pem: toPem(x509.raw),
  };
}

/** SHA-256 of the SPKI of a private key (PKCS#1 or PKCS#8 PEM), same format as `publicKeySpkiSha256`. */
export function privateKeySpkiSha256(keyPem: string): string {
  const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("hex");
}

export function publicKeyMatches(certPem: string, keyPem: string): boolean {
  return describeCertificate(certPem).publicKeySpkiSha256 === privateKeySpkiSha256(keyPem);
}

// --- DER walking. Node's X509Certificate has no Date accessors in Node 20 and prints names in
// a form that is awkward to parse back, so the few TBS fields needed are read here.

interface NameAttr {
  oid: string;
  value: string;
}
interface TbsFields {
  issuer: NameAttr[];
  subject: NameAttr[];
  notBefore: Date;
  notAfter: Date;
}

function readTbs(der: Buffer): TbsFields {
  const cert = forge.asn1.fromDer(der.toString("binary"));
  const tbs = children(cert)[0]!;
  const f = children(tbs);
  // [0] EXPLICIT version is optional; after it: serial, signature, issuer, validity, subject.
  const i = f[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const validity = children(f[i + 3]!);
  return {
    issuer: readName(f[i + 2]!),
    subject: readName(f[i + 4]!),
    notBefore: readTime(validity[0]!),
    notAfter: readTime(validity[1]!),
  };
}

function children(node: forge.asn1.Asn1): forge.asn1.Asn1[] {
  if (!Array.isArray(node.value)) throw new Error("expected a constructed ASN.1 value");
  return node.value;
}

function readTime(node: forge.asn1.Asn1): Date {
  const v = node.value as string;
  if (node.type === forge.asn1.Type.UTCTIME) return forge.asn1.utcTimeToDate(v);
  if (node.type === forge.asn1.Type.GENERALIZEDTIME) return forge.asn1.generalizedTimeToDate(v);
  throw new Error("bad time");
}

function readName(name: forge.asn1.Asn1): NameAttr[] {
  const out: NameAttr[] = [];
  for (const rdn of children(name)) {
    for (const atv of children(rdn)) {
      const [oidNode, valueNode] = children(atv);
      out.push({ oid: forge.asn1.derToOid(oidNode!.value as string), value: decodeString(valueNode!) });
    }
  }
  return out;
}

const UNIVERSAL_STRING = 28; // not in forge's Type enum

function decodeString(node: forge.asn1.Asn1): string {
  const raw = node.value as string;
  const T = forge.asn1.Type;
  switch (node.type as number) {
    case T.UTF8:
      return Buffer.from(raw, "binary").toString("utf8");
    case T.BMPSTRING: // forge already turns BMPString into a JS string
      return raw;
    case UNIVERSAL_STRING: {
      // UTF-32BE
      const b = Buffer.from(raw, "binary");
      let s = "";
      for (let o = 0; o + 4 <= b.length; o += 4) s += String.fromCodePoint(b.readUInt32BE(o));
      return s;
    }
    default:
      return Buffer.from(raw, "binary").toString("latin1");
  }
}

function formatName(attrs: NameAttr[]): string {
  return attrs.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${escapeRfc4514(a.value)}`).join(", ");
}

function escapeRfc4514(v: string): string {
  return v
    .replace(/[\\,+"<>;]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ")
    .replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** True when `pem` holds at least one certificate block and every block parses (a trusted-CA field). */
export function isPemCertificates(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return false;
  try {
    for (const b of blocks) new X509Certificate(b);
    return true;
  } catch {
    return false;
  }
}
