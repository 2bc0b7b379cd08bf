import { type KeyObject, X509Certificate, constants, createCipheriv, createHash, createPrivateKey, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from "node:crypto";
import forge from "node-forge";
import { UserError, isUserError } from "@/lib/errors";
import { certificatesFromInput, toPem } from "@/lib/pki/x509";

// CMS (RFC 5652) SignedData and EnvelopedData. forge 1.4 cannot verify signatures, cannot encode
// signed attributes other than contentType/messageDigest/signingTime, and does not sort them as
// DER wants (Go's verifier re-sorts them, so an unsorted set fails there). So structures are walked
// and built with forge's ASN.1 layer, signatures made and checked with Node's crypto, and forge
// only decrypts EnvelopedData (RSA PKCS#1 v1.5 decryption is disabled in Node 20).

const asn1 = forge.asn1;
export type Asn1 = forge.asn1.Asn1;
const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const T = asn1.Type;

export const CMS_OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  envelopedData: "1.2.840.113549.1.7.3",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  rsaEncryption: "1.2.840.113549.1.1.1",
} as const;

const DIGESTS: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
const DIGEST_OIDS = Object.fromEntries(Object.entries(DIGESTS).map(([k, v]) => [v, k]));

/** Signature algorithms that name their hash (RSA PKCS#1 v1.5 and ECDSA), shared with CSR checks. */
export const SIGNATURE_HASH: Record<string, string> = {
  "1.2.840.113549.1.1.5": "sha1",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.1": "sha1",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
};

// Signature algorithm -> the hash it implies (null: taken from the digest algorithm alone).
const SIGNATURES: Record<string, string | null> = {
  [CMS_OID.rsaEncryption]: null,
  "1.2.840.10045.2.1": null, // id-ecPublicKey, used by some signers
  ...SIGNATURE_HASH,
};
const ECDSA_WITH: Record<string, string> = {
  sha1: "1.2.840.10045.4.1",
  sha256: "1.2.840.10045.4.3.2",
  sha384: "1.2.840.10045.4.3.3",
  sha512: "1.2.840.10045.4.3.4",
};

export const CIPHERS = {
  "aes-128-cbc": { oid: "2.16.840.1.101.3.4.1.2", key: 16, iv: 16 },
  "aes-192-cbc": { oid: "2.16.840.1.101.3.4.1.22", key: 24, iv: 16 },
  "aes-256-cbc": { oid: "2.16.840.1.101.3.4.1.42", key: 32, iv: 16 },
  "des-ede3-cbc": { oid: "1.2.840.113549.3.7", key: 24, iv: 8 },
} as const;
export type CipherName = keyof typeof CIPHERS;
export const DES_CBC_OID = "1.3.14.3.2.7";

interface CertEntry {
  der: Buffer;
  issuerDer: Buffer;
  /** Without leading zero octets, for comparing. */
  serial: Buffer;
  /** As encoded (a leading 0x00 keeps a high first bit positive), for copying. */
  serialNode: Asn1;
}

export interface ParsedSignedData {
  eContentType: string;
  /** The encapsulated content, or null when detached/absent. */
  eContent: Buffer | null;
  certificates: Buffer[];
  /** The only SignerInfo; null for a certs-only (degenerate) message. */
  signer: {
    issuerDer: Buffer;
    serial: Buffer;
    digestOid: string;
    signatureOid: string;
    signedAttrs: Asn1 | null;
    signature: Buffer;
  } | null;
  /** Attribute OID -> its first value. Not yet trusted: check the signature first. */
  signedAttributes: Map<string, Asn1>;
  certEntries: CertEntry[];
}

export interface VerifiedSignedData {
  signerCertPem: string;
  content: Buffer;
  signedAttributes: Map<string, Asn1>;
  digest: string;
}

export interface VerifyOptions {
  detachedContent?: Buffer;
  /** Certificates to look for the signer in besides those the message carries (PEM or DER). */
  extraCertificates?: Array<string | Buffer>;
}

/** Structure only: `cms.malformed` when this is not a SignedData with at most one signer. */
export function parseSignedData(der: Buffer): ParsedSignedData {
  try {
    const sd = contentOf(parseDer(der), CMS_OID.signedData);
    const f = kids(sd);
    const encap = kids(f[2]!);
    const eContentType = oidOf(encap[0]!);
    const eContent = encap[1] ? octetStringValue(kids(encap[1])[0]!) : null;
    let i = 3;
    const certEntries: CertEntry[] = [];
    if (isContext(f[i], 0)) {
      // CertificateChoices: only plain certificates (a SEQUENCE) are of use here.
      for (const c of kids(f[i]!)) if (c.tagClass === UNIVERSAL && c.type === T.SEQUENCE) certEntries.push(certEntry(c));
      i++;
    }
    if (isContext(f[i], 1)) i++; // CRLs
    const signerInfos = kids(f[i]!);
    if (signerInfos.length > 1) throw new Error("more than one signer");
    let signer: ParsedSignedData["signer"] = null;
    const signedAttributes = new Map<string, Asn1>();
    if (signerInfos[0]) {
      const s = kids(signerInfos[0]);
      const sid = s[1]!;
      if (sid.tagClass !== UNIVERSAL) throw new Error("only issuerAndSerialNumber signer ids");
      const [issuer, serial] = kids(sid);
      let j = 3;
      let signedAttrs: Asn1 | null = null;
      if (isContext(s[j], 0)) {
        signedAttrs = s[j]!;
        for (const attr of kids(signedAttrs)) {
          const [type, values] = kids(attr);
          const first = kids(values!)[0];
          if (first && !signedAttributes.has(oidOf(type!))) signedAttributes.set(oidOf(type!), first);
        }
        j++;
      }
      signer = {
        issuerDer: toBuf(issuer!),
        serial: intBytes(serial!),
        digestOid: oidOf(kids(s[2]!)[0]!),
        signatureOid: oidOf(kids(s[j]!)[0]!),
        signedAttrs,
        signature: octetStringValue(s[j + 1]!),
      };
    }
    return { eContentType, eContent, certificates: certEntries.map((c) => c.der), signer, signedAttributes, certEntries };
  } catch {
    throw new UserError("cms.malformed");
  }
}

/**
 * Verify the single signer of a SignedData: the messageDigest attribute against the content, then
 * the signature over the DER of the signed attributes as a SET (RFC 5652 5.4). The signer
 * certificate is the one named by issuer and serial; whether to trust it is the caller's call.
 */
export function verifySignedData(der: Buffer, opts: VerifyOptions = {}): VerifiedSignedData {
  return verifyParsed(parseSignedData(der), opts);
}

// Public keys of signer certificates already read: a device signs every request with the same one.
const KEYS_MAX = 20_000;
const g = globalThis as unknown as { __mamoriSignerKeys?: Map<string, KeyObject> };
const signerKeys = (g.__mamoriSignerKeys ??= new Map());

function publicKeyOf(der: Buffer): KeyObject {
  const id = createHash("sha256").update(der).digest("base64");
  let key = signerKeys.get(id);
  if (!key) {
    key = new X509Certificate(der).publicKey;
    if (signerKeys.size >= KEYS_MAX) signerKeys.delete(signerKeys.keys().next().value!);
    signerKeys.set(id, key);
  }
  return key;
}

export function verifyParsed(p: ParsedSignedData, opts: VerifyOptions = {}): VerifiedSignedData {
  try {
    return verifySigner(p, opts);
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError("cms.malformed"); // e.g. a messageDigest that is not an OCTET STRING
  }
}

function verifySigner(p: ParsedSignedData, opts: VerifyOptions): VerifiedSignedData {
  const s = p.signer;
  if (!s) throw new UserError("cms.malformed");
  if (p.eContent && opts.detachedContent && !p.eContent.equals(opts.detachedContent)) throw new UserError("cms.badSignature");
  const content = p.eContent ?? opts.detachedContent ?? Buffer.alloc(0);

  const digest = DIGESTS[s.digestOid];
  const implied = SIGNATURES[s.signatureOid];
  if (!digest || implied === undefined || (implied !== null && implied !== digest)) {
    throw new UserError("cms.unsupportedAlgorithm");
  }

  const extra = (opts.extraCertificates ?? []).flatMap((c) => certificatesFromInput(c)).map(tryCertEntry);
  const entry = [...p.certEntries, ...extra].find(
    (c) => c && c.issuerDer.equals(s.issuerDer) && c.serial.equals(s.serial),
  );
  if (!entry) throw new UserError("cms.badSignature");

  let signedBytes = content;
  if (s.signedAttrs) {
    const md = p.signedAttributes.get(CMS_OID.messageDigest);
    const ct = p.signedAttributes.get(CMS_OID.contentType);
    if (!md || !octetStringValue(md).equals(createHash(digest).update(content).digest())) {
      throw new UserError("cms.badSignature");
    }
    if (ct && oidOf(ct) !== p.eContentType) throw new UserError("cms.badSignature");
    signedBytes = toBuf(asn1.create(UNIVERSAL, T.SET, true, kids(s.signedAttrs)));
  } else if (p.eContentType !== CMS_OID.data) {
    throw new UserError("cms.malformed"); // RFC 5652 5.3: other content types need signed attributes
  }

  let ok = false;
  try {
    ok = verify(digest, signedBytes, publicKeyOf(entry.der), s.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new UserError("cms.badSignature");
  return { signerCertPem: toPem(entry.der), content, signedAttributes: p.signedAttributes, digest };
}

/** `Mdm-Signature`: base64 of a detached SignedData over the exact request body. Returns the signer certificate. */
export function verifyMdmSignature(headerB64: string, body: Buffer): string {
  const der = Buffer.from(headerB64.replace(/\s+/g, ""), "base64");
  if (der.length === 0) throw new UserError("cms.malformed");
  const p = parseSignedData(der);
  if (p.eContent) throw new UserError("cms.malformed"); // Apple always detaches; attached content would not be the body
  return verifyParsed(p, { detachedContent: body }).signerCertPem;
}

export interface SignOptions {
  detached?: boolean;
  /** Extra signed attributes, each with its single value. */
  attributes?: Array<{ oid: string; value: Asn1 }>;
  digest?: "sha1" | "sha256" | "sha384" | "sha512";
  /** More certificates to carry (PEM), after the signer's. */
  certificates?: string[];
}

/** A SignedData with signed attributes (contentType, signingTime, messageDigest and `attributes`), sorted as DER requires. */
export function signData(content: Buffer, signer: { certPem: string; keyPem: string }, opts: SignOptions = {}): Buffer {
  const digest = opts.digest ?? "sha256";
  const certs = [signer.certPem, ...(opts.certificates ?? [])].map((c) => {
    const der = certificatesFromInput(c)[0];
    if (!der) throw new Error("signData: not a certificate");
    return der;
  });
  const signerCert = certEntry(parseDer(certs[0]!));
  const key = createPrivateKey(signer.keyPem);
  const attrs = [
    attribute(CMS_OID.contentType, oid(CMS_OID.data)),
    attribute(CMS_OID.signingTime, asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(new Date()))),
    attribute(CMS_OID.messageDigest, octets(createHash(digest).update(content).digest())),
    ...(opts.attributes ?? []).map((a) => attribute(a.oid, a.value)),
  ]
    .map((a) => ({ node: a, der: toBuf(a) }))
    .sort((a, b) => Buffer.compare(a.der, b.der))
    .map((a) => a.node);
  const signature = sign(digest, toBuf(set(attrs)), key);
  const isEc = key.asymmetricKeyType === "ec";
  const digestAlg = seq([oid(DIGEST_OIDS[digest]!), nul()]);
  const signerInfo = seq([
    int(Buffer.from([1])),
    seq([parseDer(signerCert.issuerDer), signerCert.serialNode]),
    digestAlg,
    asn1.create(CONTEXT_SPECIFIC, 0, true, attrs),
    isEc ? seq([oid(ECDSA_WITH[digest]!)]) : seq([oid(CMS_OID.rsaEncryption), nul()]),
    octets(signature),
  ]);
  const encap = seq([oid(CMS_OID.data), ...(opts.detached ? [] : [explicit0(octets(content))])]);
  return signedDataInfo([digestAlg], encap, certs, [signerInfo]);
}

/** A certs-only SignedData ("degenerate PKCS#7"), as SCEP returns issued certificates and CA chains. */
export function degenerateCertificates(certsDer: Buffer[]): Buffer {
  return signedDataInfo([], seq([oid(CMS_OID.data)]), certsDer, []);
}

/** EnvelopedData for one RSA recipient (key transport, PKCS#1 v1.5), content encrypted with `cipher`. */
export function envelopeData(content: Buffer, recipientCert: string | Buffer, cipher: CipherName = "aes-256-cbc"): Buffer {
  const der = certificatesFromInput(recipientCert)[0];
  if (!der) throw new Error("envelopeData: not a certificate");
  const x509 = new X509Certificate(der);
  if (x509.publicKey.asymmetricKeyType !== "rsa") throw new UserError("cms.unsupportedAlgorithm");
  const c = CIPHERS[cipher];
  const key = randomBytes(c.key);
  const iv = randomBytes(c.iv);
  const enc = createCipheriv(cipher, key, iv);
  const ciphertext = Buffer.concat([enc.update(content), enc.final()]);
  const encryptedKey = publicEncrypt({ key: x509.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);
  const rid = certEntry(parseDer(der));
  const recipientInfo = seq([
    int(Buffer.from([0])),
    seq([parseDer(rid.issuerDer), rid.serialNode]),
    seq([oid(CMS_OID.rsaEncryption), nul()]),
    octets(encryptedKey),
  ]);
  const enveloped = seq([
    int(Buffer.from([0])),
    set([recipientInfo]),
    seq([oid(CMS_OID.data), seq([oid(c.oid), octets(iv)]), asn1.create(CONTEXT_SPECIFIC, 0, false, bin(ciphertext))]),
  ]);
  return toBuf(seq([oid(CMS_OID.envelopedData), explicit0(enveloped)]));
}

/**
 * Decrypt an EnvelopedData addressed to `recipient`. `cms.malformed` when it is not one,
 * `cms.notForUs` when no RecipientInfo names the certificate or the key does not open it,
 * `cms.unsupportedAlgorithm` for ciphers other than AES-CBC, 3DES and DES.
 */
export function openEnvelopedData(der: Buffer, recipient: { certPem: string; keyPem: string }): { content: Buffer; cipherOid: string } {
  let msg: ForgeEnveloped;
  let index: number;
  try {
    const root = parseDer(der);
    // forge keeps a recipient's issuer only as parsed attributes; match on the exact DER here and
    // hand forge the RecipientInfo at the same position.
    const me = certEntry(parseDer(certificatesFromInput(recipient.certPem)[0]!));
    const f = kids(contentOf(root, CMS_OID.envelopedData));
    const infos = kids(f.find((n) => n.tagClass === UNIVERSAL && n.type === T.SET)!);
    index = infos.findIndex((ri) => {
      const rid = kids(ri)[1];
      if (!rid || rid.tagClass !== UNIVERSAL) return false; // subjectKeyIdentifier or another kind
      const [issuer, serial] = kids(rid);
      return toBuf(issuer!).equals(me.issuerDer) && intBytes(serial!).equals(me.serial);
    });
    msg = forge.pkcs7.messageFromAsn1(root) as unknown as ForgeEnveloped;
    if (msg.type !== CMS_OID.envelopedData || msg.recipients.length !== infos.length) throw new Error("not enveloped");
  } catch {
    throw new UserError("cms.malformed");
  }
  const algorithm = msg.encryptedContent.algorithm;
  const known = algorithm === DES_CBC_OID || Object.values(CIPHERS).some((c) => c.oid === algorithm);
  if (!known) throw new UserError("cms.unsupportedAlgorithm");
  if (index < 0) throw new UserError("cms.notForUs");
  const keyLength = algorithm === DES_CBC_OID ? 8 : Object.values(CIPHERS).find((c) => c.oid === algorithm)!.key;
  // Bleichenbacher: whether the RSA padding was valid must not show. A bad one gets a random
  // content key (RFC 3218 2.3.2), so it fails later exactly like a wrong key would.
  let contentKey: string;
  try {
    const ri = msg.recipients[index] as { encryptedContent: { content: string } };
    contentKey = rsaPkcs1Decrypt(recipient.keyPem, Buffer.from(ri.encryptedContent.content, "binary")).toString("binary");
    if (contentKey.length !== keyLength) throw new Error("wrong key length");
  } catch {
    contentKey = randomBytes(keyLength).toString("binary");
  }
  try {
    msg.encryptedContent.key = forge.util.createBuffer(contentKey);
    msg.decrypt(); // with the key set, forge only does the symmetric part
    return { content: Buffer.from(msg.content.getBytes(), "binary"), cipherOid: algorithm };
  } catch {
    throw new UserError("cms.notForUs");
  }
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 7.2.2): the RSA operation in OpenSSL, the padding
 * checked here. Node refuses PKCS#1 v1.5 private decryption since CVE-2023-46809, and forge's
 * JavaScript RSA took about 55 ms a key, which made it the cost of every SCEP enrollment. A bad
 * padding throws; the caller then goes on with a random key (above), so it does not show.
 */
function rsaPkcs1Decrypt(keyPem: string, encrypted: Buffer): Buffer {
  const em = privateDecrypt({ key: keyPem, padding: constants.RSA_NO_PADDING }, encrypted);
  // EM = 0x00 || 0x02 || PS (at least 8 non-zero bytes) || 0x00 || M
  const sep = em.indexOf(0, 2);
  if (em[0] !== 0 || em[1] !== 2 || sep < 10) throw new Error("bad padding");
  return em.subarray(sep + 1);
}

/** The parts of forge's EnvelopedData message used here (its typings omit most of them). */
interface ForgeEnveloped {
  type: string;
  recipients: unknown[];
  encryptedContent: { algorithm: string; key?: forge.util.ByteBuffer };
  content: forge.util.ByteBuffer;
  decrypt(): void;
}

// --- helpers

function signedDataInfo(digestAlgs: Asn1[], encap: Asn1, certsDer: Buffer[], signerInfos: Asn1[]): Buffer {
  const sd = seq([
    int(Buffer.from([1])),
    set(digestAlgs),
    encap,
    asn1.create(CONTEXT_SPECIFIC, 0, true, certsDer.map(parseDer)),
    set(signerInfos),
  ]);
  return toBuf(seq([oid(CMS_OID.signedData), explicit0(sd)]));
}

/** ContentInfo -> its [0] content, checking the content type. */
function contentOf(ci: Asn1, type: string): Asn1 {
  const [t, c] = kids(ci);
  if (oidOf(t!) !== type || !isContext(c, 0)) throw new Error(`not ${type}`);
  return kids(c!)[0]!;
}

function certEntry(cert: Asn1): CertEntry {
  const f = kids(kids(cert)[0]!);
  const i = isContext(f[0], 0) ? 1 : 0;
  return { der: toBuf(cert), issuerDer: toBuf(f[i + 2]!), serial: intBytes(f[i]!), serialNode: f[i]! };
}

function tryCertEntry(der: Buffer): CertEntry | null {
  try {
    return certEntry(parseDer(der));
  } catch {
    return null;
  }
}

function attribute(type: string, value: Asn1): Asn1 {
  return seq([oid(type), set([value])]);
}

function octetStringValue(node: Asn1): Buffer {
  // BER allows a constructed OCTET STRING made of chunks (OpenSSL streams content that way).
  if (node.tagClass === UNIVERSAL && node.type === T.OCTETSTRING && Array.isArray(node.value)) {
    return Buffer.concat(node.value.map(octetStringValue));
  }
  if (node.type !== T.OCTETSTRING || Array.isArray(node.value)) throw new Error("expected an OCTET STRING");
  return Buffer.from(node.value as string, "binary");
}

/** INTEGER content without leading zero octets, so serials compare by value. */
function intBytes(node: Asn1): Buffer {
  if (node.type !== T.INTEGER || typeof node.value !== "string") throw new Error("expected an INTEGER");
  return stripZeros(Buffer.from(node.value, "binary"));
}
function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function isContext(node: Asn1 | undefined, tag: number): boolean {
  return !!node && node.tagClass === CONTEXT_SPECIFIC && node.type === tag;
}

function kids(node: Asn1): Asn1[] {
  if (!Array.isArray(node.value)) throw new Error("expected a constructed ASN.1 value");
  return node.value;
}

function oidOf(node: Asn1): string {
  if (node.type !== T.OID || typeof node.value !== "string") throw new Error("expected an OID");
  return asn1.derToOid(node.value);
}

const bin = (b: Buffer) => b.toString("binary");
const parseDer = (b: Buffer): Asn1 =>
  // The typings miss the options object; decodeBitStrings off keeps BIT STRINGs as raw bytes.
  (asn1.fromDer as unknown as (bytes: string, o: object) => Asn1)(bin(b), { strict: true, parseAllBytes: true, decodeBitStrings: false });
const toBuf = (node: Asn1) => Buffer.from(asn1.toDer(node).getBytes(), "binary");
const seq = (v: Asn1[]) => asn1.create(UNIVERSAL, T.SEQUENCE, true, v);
const set = (v: Asn1[]) => asn1.create(UNIVERSAL, T.SET, true, v);
const oid = (o: string) => asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(o).getBytes());
const int = (b: Buffer) => asn1.create(UNIVERSAL, T.INTEGER, false, bin(b));
const nul = () => asn1.create(UNIVERSAL, T.NULL, false, "");
const octets = (b: Buffer) => asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(b));
const explicit0 = (v: Asn1) => asn1.create(CONTEXT_SPECIFIC, 0, true, [v]);

// UTF8String, PrintableString, T61String, IA5String, VisibleString.
const STRING_TYPES = new Set<number>([12, 19, 20, 22, 26]);

/** Small constructors for attribute values (SCEP uses PrintableString and OCTET STRING). */
export const attrValue = {
  printable: (s: string) => asn1.create(UNIVERSAL, T.PRINTABLESTRING, false, s),
  octets,
  /** The text of a string-typed value (PrintableString, UTF8String, IA5String...), or null. */
  text(node: Asn1 | undefined): string | null {
    if (!node || typeof node.value !== "string" || node.tagClass !== UNIVERSAL || !STRING_TYPES.has(node.type)) return null;
    return node.type === T.UTF8 ? Buffer.from(node.value, "binary").toString("utf8") : node.value;
  },
  /** The bytes of an OCTET STRING value, or null. */
  bytes(node: Asn1 | undefined): Buffer | null {
    try {
      return node ? octetStringValue(node) : null;
    } catch {
      return null;
    }
  },
};
