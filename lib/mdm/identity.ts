import { X509Certificate, createHash } from "node:crypto";
import { UserError, isUserError } from "@/lib/errors";
import { verifyMdmSignature } from "@/lib/pki/cms";
import { deviceCa } from "@/lib/pki/device-ca";

// Who is talking: the device identity certificate, from the Mdm-Signature header (detached
// CMS over the body) or, behind a TLS-terminating proxy that verified the client
// certificate, from the header that proxy sets. Either way it must come from our device CA.

export interface DeviceIdentity {
  certPem: string;
  /** SHA-256 of the certificate DER, lower-case hex. */
  fingerprint: string;
  /** The enrollment our CA issued this certificate for (its subject CN). */
  enrollmentId: string | null;
  notAfter: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The PEM a trusted proxy passed on (nginx $ssl_client_escaped_cert is URL-encoded). Only
 * with a proxy in front (MAMORI_TRUSTED_PROXIES): otherwise a client could set the header.
 */
function proxiedCertificate(headers: Headers): string | null {
  const name = process.env.MAMORI_CLIENT_CERT_HEADER;
  if (!name || !(Number(process.env.MAMORI_TRUSTED_PROXIES) > 0)) return null;
  const raw = headers.get(name);
  if (!raw) return null;
  const pem = decodeURIComponent(raw);
  return pem.includes("BEGIN CERTIFICATE") ? pem : null;
}

export async function identifyDevice(headers: Headers, body: Buffer, now = new Date()): Promise<DeviceIdentity> {
  let certPem: string | null = null;
  const signature = headers.get("mdm-signature");
  if (signature) {
    try {
      certPem = verifyMdmSignature(signature, body);
    } catch (e) {
      if (isUserError(e)) throw new UserError("mdm.badSignature");
      throw e;
    }
  } else {
    certPem = proxiedCertificate(headers);
  }
  if (!certPem) throw new UserError("mdm.noIdentity");
  const cert = new X509Certificate(certPem);
  const ca = await deviceCa();
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) throw new UserError("mdm.foreignCertificate");
  const notAfter = new Date(cert.validTo);
  if (new Date(cert.validFrom) > now || notAfter <= now) throw new UserError("mdm.certificateExpired");
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? "";
  return {
    certPem,
    fingerprint: createHash("sha256").update(cert.raw).digest("hex"),
    enrollmentId: UUID.test(cn) ? cn.toLowerCase() : null,
    notAfter,
  };
}
