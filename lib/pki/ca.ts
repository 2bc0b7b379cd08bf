import { X509Certificate, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import forge from "node-forge";
import { UserError } from "@/lib/errors";
import { toPem } from "@/lib/pki/x509";
import { SIGNATURE_HASH } from "@/lib/pki/cms";

// A small CA: certificates and CSRs are assembled with forge's ASN.1 layer and signed with Node's
// crypto. forge's own certificate API only takes RSA keys and re-encodes names (UTF8String
// subjects come out double-encoded), while a CSR's subject and key must be copied exactly.

const asn1 = forge.asn1;
type Asn1 = forge.asn1.Asn1;
const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;

export interface CaMaterial {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

/** Subject as ordered [name, value] pairs, like the Subject of Apple's SCEP payload: [["CN", "device-1"], ["O", "Mamori"]]. */
export type SubjectPairs = Array<[string, string]>;

export interface CsrInfo {
  csrPem: string;
  csrDer: Buffer;
  /** RFC 4514 style, attributes in request order, as describeCertificate prints subjects. */
  subject: string;
  commonName: string | null;
  /** PKCS#9 challengePassword, as SCEP carries it. */
  challenge: string | null;
  publicKeyPem: string;
  keyType: string;
  subjectDer: Buffer;
  spkiDer: Buffer;
}

const DAY = 86_400_000;
const SKEW = 5 * 60_000; // devices with slightly wrong clocks must still accept a fresh certificate

const OID = {
  sha256WithRSA: "1.2.840.113549.1.1.11",
  challengePassword: "1.2.840.113549.1.9.7",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

const NAME_OIDS: Record<string, string> = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  serialNumber: "2.5.4.5",
  STREET: "2.5.4.9",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
  emailAddress: "1.2.840.113549.1.9.1",
};
const SHORT_NAMES = Object.fromEntries(Object.entries(NAME_OIDS).map(([k, v]) => [v, k]));

export function createCa(opts: { commonName: string; years: number }): CaMaterial {
  const keyPem = newRsaKeyPem();
  const spkiDer = spkiOf(keyPem);
  const name = buildName([["CN", opts.commonName]]);
  const now = Date.now();
  const ski = keyIdentifier(spkiDer);
  const certDer = buildCertificate({
    serial: randomSerial(),
    issuer: name,
    subject: name,
    notBefore: new Date(now - SKEW),
    notAfter: new Date(now + Math.round(opts.years * 365.25) * DAY),
    spkiDer,
    // The SCEP CA also decrypts requests and signs CertReps with this key.
    extensions: [
      extension(OID.basicConstraints, true, seq([bool(true)])),
      extension(OID.keyUsage, true, keyUsageBits([0, 2, 5, 6])),
      extension(OID.subjectKeyId, false, octets(ski)),
    ],
    signerKeyPem: keyPem,
  });
  return { certPem: toPem(certDer), keyPem };
}

export interface IssueOptions {
  /** A PKCS#10 request (PEM or DER); its self-signature is checked and its subject and key are copied. */
  csr?: string | Buffer;
  publicKeyPem?: string;
  /** Required with publicKeyPem; overrides the CSR's subject otherwise. */
  subject?: SubjectPairs;
  days: number;
  /** Hex; a random positive 16-byte serial otherwise. */
  serial?: string;
}

/** An end-entity certificate for TLS client identity: digitalSignature + keyEncipherment, clientAuth. */
export function issueCertificate(ca: CaMaterial, opts: IssueOptions): string {
  let spkiDer: Buffer;
  let subject: Asn1;
  if (opts.csr !== undefined) {
    const info = readCsr(opts.csr);
    spkiDer = info.spkiDer;
    subject = opts.subject ? buildName(opts.subject) : parseDer(info.subjectDer);
  } else if (opts.publicKeyPem && opts.subject) {
    spkiDer = createPublicKey(opts.publicKeyPem).export({ type: "spki", format: "der" });
    subject = buildName(opts.subject);
  } else {
    throw new Error("issueCertificate needs a CSR, or a public key and a subject");
  }
  const caCert = new X509Certificate(ca.certPem);
  const caFields = tbsFields(caCert.raw);
  const now = Date.now();
  const caEnd = new Date(caCert.validTo).getTime();
  const certDer = buildCertificate({
    serial: opts.serial ? Buffer.from(opts.serial, "hex") : randomSerial(),
    issuer: caFields.subject,
    subject,
    notBefore: new Date(now - SKEW),
    // Never outlive the issuer: clients would reject the chain at that point anyway.
    notAfter: new Date(Math.min(now + opts.days * DAY, caEnd)),
    spkiDer,
    extensions: [
      extension(OID.basicConstraints, true, seq([])),
      extension(OID.keyUsage, true, keyUsageBits([0, 2])),
      extension(OID.extKeyUsage, false, seq([oid(OID.clientAuth)])),
      extension(OID.subjectKeyId, false, octets(keyIdentifier(spkiDer))),
      extension(OID.authorityKeyId, false, seq([asn1.create(CONTEXT_SPECIFIC, 0, false, bin(caFields.keyId))])),
    ],
    signerKeyPem: ca.keyPem,
  });
  return toPem(certDer);
}

/** A short-lived self-signed certificate, as a SCEP client signs its first request with. */
export function createSelfSigned(opts: { keyPem: string; subject: SubjectPairs; hours?: number }): string {
  const spkiDer = spkiOf(opts.keyPem);
  const name = buildName(opts.subject);
  const now = Date.now();
  const certDer = buildCertificate({
    serial: randomSerial(),
    issuer: name,
    subject: name,
    notBefore: new Date(now - SKEW),
    notAfter: new Date(now + (opts.hours ?? 1) * 3_600_000),
    spkiDer,
    extensions: [extension(OID.keyUsage, true, keyUsageBits([0, 2]))],
    signerKeyPem: opts.keyPem,
  });
  return toPem(certDer);
}

/** A PKCS#10 request signed with SHA-256, with a challengePassword attribute when given. */
export function createCsr(opts: { keyPem: string; subject: SubjectPairs; challenge?: string }): string {
  const attrs: Asn1[] = [];
  if (opts.challenge !== undefined) {
    attrs.push(seq([oid(OID.challengePassword), set([directoryString(opts.challenge)])]));
  }
  const info = seq([
    int(Buffer.from([0])),
    buildName(opts.subject),
    parseDer(spkiOf(opts.keyPem)),
    asn1.create(CONTEXT_SPECIFIC, 0, true, attrs),
  ]);
  return toPem(signed(info, opts.keyPem), "CERTIFICATE REQUEST");
}

/** Parse a PKCS#10 request and check its self-signature; anything wrong is `ca.badCsr`. */
export function readCsr(input: string | Buffer): CsrInfo {
  const der = typeof input === "string" ? pemBody(input, "CERTIFICATE REQUEST") : input;
  let info: Omit<CsrInfo, "csrPem" | "csrDer">;
  try {
    const root = parseDer(der);
    const [cri, alg, sig] = kids(root);
    const [, subjectNode, spkiNode, attrsNode] = kids(cri!);
    const hash = SIGNATURE_HASH[asn1.derToOid(kids(alg!)[0]!.value as string)];
    const sigBytes = buf(sig!).subarray(1); // skip the unused-bits octet
    const spkiDer = der2buf(spkiNode!);
    const key = createPublicKey({ key: spkiDer, format: "der", type: "spki" });
    if (!hash || !verify(hash, der2buf(cri!), key, sigBytes)) throw new Error("bad signature");
    const names = readName(subjectNode!);
    info = {
      subject: names.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${escapeRfc4514(a.value)}`).join(", "),
      commonName: names.find((a) => a.oid === NAME_OIDS.CN)?.value ?? null,
      challenge: attrsNode ? readChallenge(attrsNode) : null,
      publicKeyPem: key.export({ type: "spki", format: "pem" }).toString(),
      keyType: key.asymmetricKeyType ?? "unknown",
      subjectDer: der2buf(subjectNode!),
      spkiDer,
    };
  } catch {
    throw new UserError("ca.badCsr");
  }
  return { ...info, csrDer: der, csrPem: toPem(der, "CERTIFICATE REQUEST") };
}

/** 16 random bytes, first one 0x01-0x7f: positive and minimally encoded as a DER INTEGER. */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f || 0x01;
  return b;
}

export function newRsaKeyPem(bits = 2048): string {
  // Node's key generation is native; forge would do it in JavaScript.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** An X.501 Name, one attribute per RDN. C and serialNumber are PrintableString (RFC 5280), emailAddress and DC IA5String, the rest UTF8String. */
export function buildName(pairs: SubjectPairs): Asn1 {
  return seq(
    pairs.map(([name, value]) => {
      const type = NAME_OIDS[name] ?? (/^\d+(\.\d+)+$/.test(name) ? name : null);
      if (!type) throw new Error(`Unknown subject attribute ${name}`);
      const str =
        name === "C" || type === NAME_OIDS.serialNumber
          ? asn1.create(UNIVERSAL, T.PRINTABLESTRING, false, value)
          : type === NAME_OIDS.emailAddress || type === NAME_OIDS.DC
            ? asn1.create(UNIVERSAL, T.IA5STRING, false, value)
            : utf8(value);
      return set([seq([oid(type), str])]);
    }),
  );
}

// --- certificate assembly

interface CertFields {
  serial: Buffer;
  issuer: Asn1;
  subject: Asn1;
  notBefore: Date;
  notAfter: Date;
  spkiDer: Buffer;
  extensions: Asn1[];
  signerKeyPem: string;
}

function buildCertificate(f: CertFields): Buffer {
  const tbs = seq([
    asn1.create(CONTEXT_SPECIFIC, 0, true, [int(Buffer.from([2]))]), // v3
    int(f.serial),
    sha256WithRsa(),
    f.issuer,
    seq([time(f.notBefore), time(f.notAfter)]),
    f.subject,
    parseDer(f.spkiDer),
    asn1.create(CONTEXT_SPECIFIC, 3, true, [seq(f.extensions)]),
  ]);
  return signed(tbs, f.signerKeyPem);
}

/** SEQUENCE { tbs, sha256WithRSAEncryption, BIT STRING signature }; the signing key must be RSA. */
function signed(tbs: Asn1, keyPem: string): Buffer {
  const tbsDer = der2buf(tbs);
  const signature = sign("sha256", tbsDer, createPrivateKey(keyPem));
  return der2buf(seq([tbs, sha256WithRsa(), asn1.create(UNIVERSAL, T.BITSTRING, false, "\x00" + bin(signature))]));
}

function tbsFields(certDer: Buffer): { subject: Asn1; keyId: Buffer } {
  const tbs = kids(parseDer(certDer))[0]!;
  const f = kids(tbs);
  const i = f[0]!.tagClass === CONTEXT_SPECIFIC ? 1 : 0;
  const spkiDer = der2buf(f[i + 5]!);
  // The AKI must repeat the CA's own SKI when it has one, or path building can fail.
  let keyId = keyIdentifier(spkiDer);
  const extsWrapper = f.find((n) => n.tagClass === CONTEXT_SPECIFIC && n.type === 3);
  for (const ext of extsWrapper ? kids(kids(extsWrapper)[0]!) : []) {
    const parts = kids(ext);
    if (asn1.derToOid(parts[0]!.value as string) === OID.subjectKeyId) {
      keyId = buf(parseDer(buf(parts[parts.length - 1]!)));
    }
  }
  return { subject: f[i + 4]!, keyId };
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spkiDer: Buffer): Buffer {
  const bits = buf(kids(parseDer(spkiDer))[1]!).subarray(1);
  return createHash("sha1").update(bits).digest();
}

function keyUsageBits(bits: number[]): Asn1 {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  const unused = 7 - Math.max(...bits); // DER: no trailing zero bits
  return asn1.create(UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unused, v));
}

function extension(id: string, critical: boolean, value: Asn1): Asn1 {
  return seq([oid(id), ...(critical ? [bool(true)] : []), octets(der2buf(value))]);
}

function time(d: Date): Asn1 {
  return d.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

// --- reading names and attributes

function readName(name: Asn1): Array<{ oid: string; value: string }> {
  return kids(name).flatMap((rdn) =>
    kids(rdn).map((atv) => {
      const [o, v] = kids(atv);
      return { oid: asn1.derToOid(o!.value as string), value: decodeString(v!) };
    }),
  );
}

function readChallenge(attrs: Asn1): string | null {
  for (const attr of kids(attrs)) {
    const [o, values] = kids(attr);
    if (asn1.derToOid(o!.value as string) === OID.challengePassword) {
      const v = kids(values!)[0];
      return v ? decodeString(v) : null;
    }
  }
  return null;
}

function decodeString(node: Asn1): string {
  const raw = node.value as string;
  if (node.type === T.UTF8) return Buffer.from(raw, "binary").toString("utf8");
  if (node.type === T.BMPSTRING) return raw; // forge already decodes BMPString
  return Buffer.from(raw, "binary").toString("latin1");
}

function escapeRfc4514(v: string): string {
  return v
    .replace(/[\\,+"<>;]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
}

// --- tiny ASN.1 helpers

function kids(node: Asn1): Asn1[] {
  if (!Array.isArray(node.value)) throw new Error("expected a constructed ASN.1 value");
  return node.value;
}
const bin = (b: Buffer) => b.toString("binary");
const buf = (node: Asn1) => Buffer.from(node.value as string, "binary");
const parseDer = (b: Buffer): Asn1 =>
  // The typings miss the options object; decodeBitStrings off keeps BIT STRINGs as raw bytes.
  (asn1.fromDer as unknown as (bytes: string, o: object) => Asn1)(bin(b), { strict: true, parseAllBytes: true, decodeBitStrings: false });
const der2buf = (node: Asn1) => Buffer.from(asn1.toDer(node).getBytes(), "binary");
const seq = (v: Asn1[]) => asn1.create(UNIVERSAL, T.SEQUENCE, true, v);
const set = (v: Asn1[]) => asn1.create(UNIVERSAL, T.SET, true, v);
const oid = (o: string) => asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(o).getBytes());
const int = (b: Buffer) => asn1.create(UNIVERSAL, T.INTEGER, false, bin(b));
const bool = (v: boolean) => asn1.create(UNIVERSAL, T.BOOLEAN, false, v ? "\xff" : "\x00");
const octets = (b: Buffer) => asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(b));
const utf8 = (s: string) => asn1.create(UNIVERSAL, T.UTF8, false, Buffer.from(s, "utf8").toString("binary"));
// PrintableString when the text allows it (RFC 2985 prefers it for challengePassword), UTF8String otherwise.
const directoryString = (s: string) =>
  /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? asn1.create(UNIVERSAL, T.PRINTABLESTRING, false, s) : utf8(s);
const sha256WithRsa = () => seq([oid(OID.sha256WithRSA), asn1.create(UNIVERSAL, T.NULL, false, "")]);

function spkiOf(keyPem: string): Buffer {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
}

function pemBody(pem: string, label: string): Buffer {
  const m = pem.match(new RegExp(`-----BEGIN (?:NEW )?${label}-----([\\s\\S]*?)-----END (?:NEW )?${label}-----`));
  if (!m) throw new UserError("ca.badCsr");
  return Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
}
