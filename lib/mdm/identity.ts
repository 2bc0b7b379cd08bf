import { X509Certificate, createHash } from "node:crypto";
import { UserError, isUserError } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
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


/**
 * The PEM a trusted proxy passed on (nginx $ssl_client_escaped_cert is URL-encoded). Only
 * with a proxy in front (MAMORI_TRUSTED_PROXIES): otherwise a client could set the header.
 */
function proxiedCertificate(headers: Headers): string | null {
  const name = process.env.MAMORI_CLIENT_CERT_HEADER;
  if (!name || !(Number(process.env.MAMORI_TRUSTED_PROXIES) > 0)) return null;
  const raw = headers.get(name);
  if (!raw) return null;
  let pem: string;
  try {
    pem = decodeURIComponent(raw);
  } catch {
    return null; // malformed escapes: no identity, not a 500
  }
  return pem.includes("BEGIN CERTIFICATE") ? pem : null;
}

// Certificates already checked against the CA, by SHA-256 of their PEM: parsing and verifying
// one costs about a millisecond, and a device sends the same one with every request. Bounded;
// the binding of a certificate to a device is still checked in the database on every request.
const CACHE_MAX = 20_000;
const CA_TTL_MS = 60_000;
type Checked = { fingerprint: string; enrollmentId: string | null; notBefore: Date; notAfter: Date; caFingerprint: string };
const g = globalThis as unknown as { __mamoriIdentities?: Map<string, Checked>; __mamoriDeviceCa?: { at: number; ca: Promise<{ fingerprint: string; cert: X509Certificate }> } };
const checked = (g.__mamoriIdentities ??= new Map());

/** The device CA, re-read at most once a minute (a CA replaced by another instance is seen then). */
function currentCa(now: number) {
  const c = g.__mamoriDeviceCa;
  if (c && now - c.at < CA_TTL_MS) return c.ca;
  const ca = deviceCa().then((s) => ({ fingerprint: s.fingerprint, cert: new X509Certificate(s.certPem) }));
  g.__mamoriDeviceCa = { at: now, ca };
  ca.catch(() => (g.__mamoriDeviceCa = undefined));
  return ca;
}

async function checkCertificate(certPem: string, now: Date): Promise<Checked> {
  const key = createHash("sha256").update(certPem).digest("base64");
  const ca = await currentCa(now.getTime());
  const hit = checked.get(key);
  if (hit && hit.caFingerprint === ca.fingerprint) return hit;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new UserError("mdm.badCertificate"); // a proxy's header, or DER forge read and OpenSSL does not
  }
  if (!cert.checkIssued(ca.cert) || !cert.verify(ca.cert.publicKey)) throw new UserError("mdm.foreignCertificate");
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? "";
  const entry: Checked = {
    fingerprint: createHash("sha256").update(cert.raw).digest("hex"),
    enrollmentId: isUuid(cn) ? cn.toLowerCase() : null,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    caFingerprint: ca.fingerprint,
  };
  if (checked.size >= CACHE_MAX) checked.delete(checked.keys().next().value!);
  checked.set(key, entry);
  return entry;
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
  const c = await checkCertificate(certPem, now);
  if (c.notBefore > now || c.notAfter <= now) throw new UserError("mdm.certificateExpired");
  return { certPem, fingerprint: c.fingerprint, enrollmentId: c.enrollmentId, notAfter: c.notAfter };
}
