import { X509Certificate, createPrivateKey, generateKeyPairSync, sign, verify } from "node:crypto";
import forge from "node-forge";
import * as plist from "plist";
import { UserError } from "@/lib/errors";
import { type X509Info, certificatesFromInput, describeDer, privateKeySpkiSha256, toPem } from "@/lib/pki/x509";

// Steps 1-2 of the push certificate lifecycle (PROTOCOL.md section 7): the tenant's key and CSR,
// and the vendor-signed request file that Apple's Push Certificates Portal accepts.

export interface PushRequest {
  /** PKCS#8 PEM; never leaves the portal. */
  keyPem: string;
  csrPem: string;
}

export interface VendorIdentity {
  certPem: string;
  keyPem: string;
  /** Apple WWDR intermediate and Apple root, in that order; one certificate per entry. */
  chainPem?: string[];
}

export interface VendorRequest {
  csrDer: Buffer;
  csrPem: string;
  /** Vendor certificate first, then its chain, each as PEM. */
  chainPems: string[];
  signature: Buffer;
}

export function generatePushRequest(subject: { commonName?: string; organization?: string } = {}): PushRequest {
  // Node's key generation is native; forge would otherwise do it in JavaScript.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;

  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  csr.setSubject([
    { name: "commonName", value: subject.commonName ?? "Mamori Push Certificate Request" },
    { name: "organizationName", value: subject.organization ?? "Mamori" },
  ]);
  csr.sign(key, forge.md.sha256.create());
  return { keyPem, csrPem: forge.pki.certificationRequestToPem(csr).replace(/\r\n/g, "\n") };
}

/** The base64 text file to upload at identity.apple.com/pushcert. */
export function vendorSignRequest(csrPem: string, vendor: VendorIdentity, now: Date = new Date()): string {
  const csrDer = csrDerFromPem(csrPem);
  const vendorInfo = readVendorCert(vendor.certPem);
  if (vendorInfo.publicKeySpkiSha256 !== keySpkiOrNull(vendor.keyPem)) {
    throw new UserError("pushCert.vendorKeyMismatch");
  }
  // Apple would refuse the request anyway; say why before the admin uploads it.
  if (vendorInfo.notAfter.getTime() <= now.getTime()) {
    throw new UserError("pushCert.vendorExpired", { date: vendorInfo.notAfter.toISOString() });
  }

  const chain = [vendorInfo.pem, ...(vendor.chainPem ?? []).map((p) => readVendorCert(p).pem)];
  const signature = sign("sha256", csrDer, createPrivateKey(vendor.keyPem)); // RSA PKCS#1 v1.5
  const xml = plist.build({
    PushCertRequestCSR: csrDer.toString("base64"),
    PushCertCertificateChain: chain.join(""),
    PushCertSignature: signature.toString("base64"),
  });
  return Buffer.from(xml, "utf8").toString("base64");
}

/** Decode a vendor-signed request and verify its signature with the first certificate of its chain. */
export function parseVendorRequest(b64: string): VendorRequest {
  let dict: Record<string, unknown>;
  try {
    const xml = Buffer.from(b64.replace(/\s+/g, ""), "base64").toString("utf8");
    // Checked first because xmldom logs its parse errors to the console.
    if (!/<plist[\s>]/.test(xml)) throw new Error("not a plist");
    const parsed = plist.parse(xml);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a dict");
    dict = parsed as Record<string, unknown>;
  } catch {
    throw new UserError("pushCert.badVendorRequest");
  }
  const { PushCertRequestCSR: csr, PushCertCertificateChain: chainText, PushCertSignature: sig } = dict;
  if (typeof csr !== "string" || typeof chainText !== "string" || typeof sig !== "string") {
    throw new UserError("pushCert.badVendorRequest");
  }
  const csrDer = Buffer.from(csr, "base64");
  const csrPem = toPem(csrDer, "CERTIFICATE REQUEST");
  csrDerFromPem(csrPem); // checks it is a well-formed, self-signed CSR
  const chainDers = certificatesFromInput(chainText);
  if (chainDers.length === 0) throw new UserError("pushCert.badVendorRequest");
  let vendorCert: X509Certificate;
  try {
    vendorCert = new X509Certificate(chainDers[0]!);
  } catch {
    throw new UserError("pushCert.badVendorRequest");
  }
  const signature = Buffer.from(sig, "base64");
  if (!verifies(csrDer, vendorCert, signature)) throw new UserError("pushCert.badVendorSignature");
  return { csrDer, csrPem, chainPems: chainDers.map((d) => toPem(d)), signature };
}

function verifies(data: Buffer, cert: X509Certificate, signature: Buffer): boolean {
  try {
    return verify("sha256", data, cert.publicKey, signature);
  } catch {
    return false; // e.g. a signature of the wrong length
  }
}

function readVendorCert(pem: string): X509Info {
  const der = certificatesFromInput(pem)[0];
  try {
    if (der) return describeDer(der);
  } catch {
    // fall through
  }
  throw new UserError("pushCert.vendorNotCertificate");
}

function keySpkiOrNull(keyPem: string): string | null {
  try {
    return privateKeySpkiSha256(keyPem);
  } catch {
    return null; // unreadable key: reported as a mismatch
  }
}

const PEM_CSR = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/;

/** The CSR's own DER bytes (what gets signed), after checking it is a well-formed, self-signed PKCS#10. */
function csrDerFromPem(csrPem: string): Buffer {
  const m = PEM_CSR.exec(csrPem);
  if (!m) throw new UserError("pushCert.badCsr");
  const der = Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
  try {
    const csr = forge.pki.certificationRequestFromAsn1(forge.asn1.fromDer(der.toString("binary")));
    if (!csr.verify()) throw new Error("bad CSR signature");
  } catch {
    throw new UserError("pushCert.badCsr");
  }
  return der;
}
