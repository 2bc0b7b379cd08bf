import { X509Certificate, randomBytes } from "node:crypto";
import { UserError, isUserError } from "@/lib/errors";
import { type CaMaterial, type CsrInfo, issueCertificate, readCsr } from "@/lib/pki/ca";
import {
  type Asn1,
  CIPHERS,
  type CipherName,
  type ParsedSignedData,
  type VerifiedSignedData,
  attrValue,
  degenerateCertificates,
  envelopeData,
  openEnvelopedData,
  parseSignedData,
  signData,
  verifyParsed,
} from "@/lib/pki/cms";
import { certificatesFromInput } from "@/lib/pki/x509";

// SCEP server side (RFC 8894), independent of HTTP: the route maps operations to these functions.

export const SCEP_OID = {
  messageType: "2.16.840.1.113733.1.9.2",
  pkiStatus: "2.16.840.1.113733.1.9.3",
  failInfo: "2.16.840.1.113733.1.9.4",
  senderNonce: "2.16.840.1.113733.1.9.5",
  recipientNonce: "2.16.840.1.113733.1.9.6",
  transactionID: "2.16.840.1.113733.1.9.7",
} as const;

export const MESSAGE_TYPES = { CertRep: 3, RenewalReq: 17, PKCSReq: 19, CertPoll: 20, GetCert: 21, GetCRL: 22 } as const;
export const PKI_STATUS = { SUCCESS: 0, FAILURE: 2, PENDING: 3 } as const;
export const FAIL_INFO = { badAlg: 0, badMessageCheck: 1, badRequest: 2, badTime: 3, badCertId: 4 } as const;
export type FailInfo = keyof typeof FAIL_INFO;

export const CONTENT_TYPES = {
  caps: "text/plain",
  caCert: "application/x-x509-ca-cert",
  pkiMessage: "application/x-pki-message",
} as const;

export interface ScepRequest {
  csrPem: string;
  challenge: string | null;
  /** From the CSR, RFC 4514 style ("CN=device-1, O=Mamori"). */
  subject: string;
  commonName: string | null;
  transactionId: string;
  messageType: "PKCSReq" | "RenewalReq";
  /** PKCSReq: the requester's temporary self-signed certificate. RenewalReq: its current certificate, checked to be ours and valid. */
  signerCertPem: string;
}

export type ScepDecision = { issue: { days: number } } | { fail: FailInfo };

export interface ScepResponse {
  body: Buffer;
  contentType: typeof CONTENT_TYPES.pkiMessage;
  /** What was answered, for the caller's log. */
  status: "SUCCESS" | "FAILURE";
  failInfo?: FailInfo;
  issuedCertPem?: string;
}

/**
 * RFC 8894 3.5.2. SCEPStandard implies AES, POSTPKIOperation and SHA-256, all honoured; GET
 * PKIOperation works too. Renewal: RenewalReq signed with a current certificate from this CA.
 * Not offered: GetNextCACert (no CA rollover), DES3 (AES is preferred when offered), SHA-1.
 */
export function getCaCaps(): string {
  return ["POSTPKIOperation", "SHA-256", "SHA-512", "AES", "SCEPStandard", "Renewal"].join("\n");
}

/** A single CA certificate (no RA): its DER as application/x-x509-ca-cert (RFC 8894 4.2.1.1). */
export function getCaCert(ca: Pick<CaMaterial, "certPem">): { body: Buffer; contentType: typeof CONTENT_TYPES.caCert } {
  return { body: certificatesFromInput(ca.certPem)[0]!, contentType: CONTENT_TYPES.caCert };
}

/** The `message` query parameter of a GET PKIOperation: base64, where a "+" may arrive as a space. */
export function pkiMessageFromQuery(message: string): Buffer {
  const b64 = message.replace(/ /g, "+").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new UserError("scep.malformed");
  return Buffer.from(b64, "base64");
}

/**
 * Answer one PKIOperation with a CertRep. Unparseable input (no SignedData, or without the
 * transactionID/senderNonce a reply must echo) throws `scep.malformed`; anything else wrong is a
 * signed FAILURE. `decide` runs only once the request is known to be well-formed and answerable,
 * so a challenge it consumes is not wasted on a request that would fail afterwards.
 */
export async function handlePkiOperation(
  message: Buffer,
  ca: CaMaterial,
  decide: (req: ScepRequest) => Promise<ScepDecision>,
): Promise<ScepResponse> {
  let parsed: ParsedSignedData;
  try {
    parsed = parseSignedData(message);
  } catch {
    throw new UserError("scep.malformed");
  }
  const attrs = parsed.signedAttributes;
  const transactionNode = attrs.get(SCEP_OID.transactionID);
  const transactionId = attrValue.text(transactionNode);
  const senderNonce = attrValue.bytes(attrs.get(SCEP_OID.senderNonce));
  if (!parsed.signer || !transactionNode || !transactionId || !senderNonce || senderNonce.length === 0) {
    throw new UserError("scep.malformed");
  }

  const reply: Reply = { ca, transactionNode, recipientNonce: senderNonce, digest: "sha256" };
  const fail = (info: FailInfo) => certRep(reply, { fail: info });

  let verified: VerifiedSignedData;
  try {
    verified = verifyParsed(parsed);
  } catch (e) {
    return fail(codeOf(e) === "cms.unsupportedAlgorithm" ? "badAlg" : "badMessageCheck");
  }
  // Answer with the client's digest (it evidently has it), but not below SHA-256.
  if (verified.digest !== "sha1") reply.digest = verified.digest as Reply["digest"];

  const type = Number(attrValue.text(attrs.get(SCEP_OID.messageType)) ?? NaN);
  if (type !== MESSAGE_TYPES.PKCSReq && type !== MESSAGE_TYPES.RenewalReq) {
    return fail("badRequest"); // CertPoll included: this CA never answers PENDING
  }

  let inner: Buffer;
  let cipher: CipherName;
  try {
    const opened = openEnvelopedData(verified.content, ca);
    inner = opened.content;
    cipher = replyCipher(opened.cipherOid);
  } catch (e) {
    return fail(codeOf(e) === "cms.unsupportedAlgorithm" ? "badAlg" : "badMessageCheck");
  }

  let csr: CsrInfo;
  try {
    csr = readCsr(inner);
  } catch {
    return fail("badRequest");
  }

  const signer = new X509Certificate(verified.signerCertPem);
  // The certificate goes back encrypted to the signer's key: only RSA can receive it.
  if (signer.publicKey.asymmetricKeyType !== "rsa" || csr.keyType !== "rsa") return fail("badAlg");
  if (type === MESSAGE_TYPES.RenewalReq) {
    const caCert = new X509Certificate(ca.certPem);
    if (!signer.checkIssued(caCert) || !signer.verify(caCert.publicKey)) return fail("badCertId");
    const now = Date.now();
    if (new Date(signer.validFrom).getTime() > now || new Date(signer.validTo).getTime() <= now) return fail("badTime");
  }

  const decision = await decide({
    csrPem: csr.csrPem,
    challenge: csr.challenge,
    subject: csr.subject,
    commonName: csr.commonName,
    transactionId,
    messageType: type === MESSAGE_TYPES.PKCSReq ? "PKCSReq" : "RenewalReq",
    signerCertPem: verified.signerCertPem,
  });
  if ("fail" in decision) return fail(decision.fail);

  const issuedCertPem = issueCertificate(ca, { csr: csr.csrDer, days: decision.issue.days });
  const degenerate = degenerateCertificates(certificatesFromInput(issuedCertPem));
  const envelope = envelopeData(degenerate, verified.signerCertPem, cipher);
  return { ...certRep(reply, { content: envelope }), issuedCertPem };
}

interface Reply {
  ca: CaMaterial;
  transactionNode: Asn1;
  recipientNonce: Buffer;
  digest: "sha256" | "sha384" | "sha512";
}

/** CertRep: signed by the CA; SUCCESS carries the enveloped certificate, FAILURE no content. */
function certRep(r: Reply, outcome: { content: Buffer } | { fail: FailInfo }): ScepResponse {
  const failed = "fail" in outcome;
  const attributes = [
    // Echo the transactionID exactly as sent, string type included.
    { oid: SCEP_OID.transactionID, value: r.transactionNode },
    { oid: SCEP_OID.messageType, value: attrValue.printable(String(MESSAGE_TYPES.CertRep)) },
    { oid: SCEP_OID.pkiStatus, value: attrValue.printable(String(failed ? PKI_STATUS.FAILURE : PKI_STATUS.SUCCESS)) },
    ...(failed ? [{ oid: SCEP_OID.failInfo, value: attrValue.printable(String(FAIL_INFO[outcome.fail])) }] : []),
    { oid: SCEP_OID.senderNonce, value: attrValue.octets(randomBytes(16)) },
    { oid: SCEP_OID.recipientNonce, value: attrValue.octets(r.recipientNonce) },
  ];
  const body = failed
    ? signData(Buffer.alloc(0), r.ca, { detached: true, attributes, digest: r.digest })
    : signData(outcome.content, r.ca, { attributes, digest: r.digest });
  return failed
    ? { body, contentType: CONTENT_TYPES.pkiMessage, status: "FAILURE", failInfo: outcome.fail }
    : { body, contentType: CONTENT_TYPES.pkiMessage, status: "SUCCESS" };
}

/**
 * Encrypt the reply as the request was encrypted, which the client evidently supports. Single DES
 * requests (micromdm's scepclient sends them: Go's pkcs7 defaults to DES) get 3DES back.
 */
function replyCipher(requestOid: string): CipherName {
  const same = (Object.keys(CIPHERS) as CipherName[]).find((n) => CIPHERS[n].oid === requestOid);
  return same ?? "des-ede3-cbc";
}

function codeOf(e: unknown): string | null {
  return isUserError(e) ? e.code : null;
}
