import { X509Certificate, createHash, createPublicKey, randomBytes } from "node:crypto";
import { UserError, isUserError } from "@/lib/errors";
import { type SubjectPairs, createCsr, createSelfSigned, newRsaKeyPem } from "@/lib/pki/ca";
import { type CipherName, attrValue, envelopeData, openEnvelopedData, parseSignedData, signData, verifySignedData } from "@/lib/pki/cms";
import { FAIL_INFO, MESSAGE_TYPES, PKI_STATUS, SCEP_OID } from "@/lib/pki/scep";
import { toPem } from "@/lib/pki/x509";

// A minimal SCEP client (RFC 8894) for the device simulator and tests: one PKCSReq or RenewalReq
// over POST, no polling.

export interface ScepEnrollOptions {
  /** The SCEP endpoint, e.g. https://mdm.example.jp/scep. */
  url: string;
  challenge?: string;
  /** A plain string is the common name. */
  subject: string | SubjectPairs;
  /** The key to certify; a new RSA 2048 key otherwise. */
  keyPem?: string;
  /** Renew: sign the request with this current certificate (RenewalReq) instead of a temporary self-signed one. */
  renew?: { certPem: string; keyPem: string };
  cipher?: CipherName;
  fetch?: typeof globalThis.fetch;
}

export interface ScepEnrollment {
  certPem: string;
  keyPem: string;
  caCertPem: string;
}

export async function scepEnroll(opts: ScepEnrollOptions): Promise<ScepEnrollment> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const caDer = await getCaCert(opts.url, doFetch);
  const caCertPem = toPem(caDer);

  const keyPem = opts.keyPem ?? newRsaKeyPem();
  const subject: SubjectPairs = typeof opts.subject === "string" ? [["CN", opts.subject]] : opts.subject;
  const csrPem = createCsr({ keyPem, subject, challenge: opts.challenge });
  const signer = opts.renew ?? { certPem: createSelfSigned({ keyPem, subject }), keyPem };

  const spki = createPublicKey(keyPem).export({ type: "spki", format: "der" });
  const transactionId = createHash("sha256").update(spki).digest("hex"); // PrintableString-safe
  const nonce = randomBytes(16);
  const csrDer = Buffer.from(csrPem.replace(/-----[^-]+-----|\s+/g, ""), "base64");
  const request = signData(envelopeData(csrDer, caDer, opts.cipher ?? "aes-256-cbc"), signer, {
    attributes: [
      { oid: SCEP_OID.transactionID, value: attrValue.printable(transactionId) },
      { oid: SCEP_OID.messageType, value: attrValue.printable(String(opts.renew ? MESSAGE_TYPES.RenewalReq : MESSAGE_TYPES.PKCSReq)) },
      { oid: SCEP_OID.senderNonce, value: attrValue.octets(nonce) },
    ],
  });

  const res = await doFetch(operationUrl(opts.url, "PKIOperation"), {
    method: "POST",
    headers: { "content-type": "application/x-pki-message" },
    body: new Uint8Array(request),
  });
  if (!res.ok) throw new UserError("scep.http", { status: res.status });
  const reply = Buffer.from(await res.arrayBuffer());

  const rep = readCertRep(reply, caCertPem);
  if (rep.transactionId !== transactionId || !rep.recipientNonce?.equals(nonce)) throw new UserError("scep.badResponse");
  if (rep.status === PKI_STATUS.FAILURE) throw new UserError("scep.failed", { failInfo: rep.failInfo ?? "unknown" });
  if (rep.status !== PKI_STATUS.SUCCESS) throw new UserError("scep.pending");

  // The certificate comes back in a certs-only PKCS#7, encrypted to the certificate we signed with.
  const inner = guard(() => openEnvelopedData(rep.content, signer).content);
  const certs = guard(() => parseSignedData(inner).certificates);
  const mine = certs.find((der) => new X509Certificate(der).publicKey.export({ type: "spki", format: "der" }).equals(spki));
  if (!mine) throw new UserError("scep.badResponse");
  return { certPem: toPem(mine), keyPem, caCertPem };
}

async function getCaCert(url: string, doFetch: typeof globalThis.fetch): Promise<Buffer> {
  const res = await doFetch(operationUrl(url, "GetCACert"));
  if (!res.ok) throw new UserError("scep.http", { status: res.status });
  const body = Buffer.from(await res.arrayBuffer());
  // A CA with an RA answers a certs-only PKCS#7 (x509-ca-ra-cert); this client then takes the first one.
  const der = (res.headers.get("content-type") ?? "").includes("ca-ra-cert") ? guard(() => parseSignedData(body).certificates[0]) : body;
  if (!der) throw new UserError("scep.badResponse");
  guard(() => new X509Certificate(der));
  return der;
}

interface CertRep {
  transactionId: string | null;
  recipientNonce: Buffer | null;
  status: number;
  failInfo: string | null;
  content: Buffer;
}

/** Verify that the CA signed the CertRep and read its SCEP attributes. */
function readCertRep(der: Buffer, caCertPem: string): CertRep {
  const v = guard(() => verifySignedData(der, { extraCertificates: [caCertPem] }));
  if (new X509Certificate(v.signerCertPem).fingerprint256 !== new X509Certificate(caCertPem).fingerprint256) {
    throw new UserError("scep.badResponse");
  }
  const a = v.signedAttributes;
  if (attrValue.text(a.get(SCEP_OID.messageType)) !== String(MESSAGE_TYPES.CertRep)) throw new UserError("scep.badResponse");
  const num = (oid: string) => Number(attrValue.text(a.get(oid)) ?? NaN);
  const info = num(SCEP_OID.failInfo);
  return {
    transactionId: attrValue.text(a.get(SCEP_OID.transactionID)),
    recipientNonce: attrValue.bytes(a.get(SCEP_OID.recipientNonce)),
    status: num(SCEP_OID.pkiStatus),
    failInfo: (Object.keys(FAIL_INFO) as Array<keyof typeof FAIL_INFO>).find((k) => FAIL_INFO[k] === info) ?? null,
    content: v.content,
  };
}

function operationUrl(base: string, operation: string): string {
  const u = new URL(base);
  u.searchParams.set("operation", operation);
  return u.toString();
}

/** Anything unreadable in a server's answer is `scep.badResponse`. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isUserError(e) && e.code.startsWith("scep.")) throw e;
    throw new UserError("scep.badResponse");
  }
}
