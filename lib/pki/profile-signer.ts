import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { certificatesFromInput, describeDer, publicKeyMatches, toPem } from "@/lib/pki/x509";
import { deviceCa } from "@/lib/pki/device-ca";

// Who signs the enrollment profile. iOS shows a profile as "Verified" when its signer chains to a
// root the device trusts; Mamori's own device CA is not one, so iOS says "Not Verified". With
// MAMORI_PROFILE_SIGNING_CERT and MAMORI_PROFILE_SIGNING_KEY (a file path or the PEM itself: the
// public hostname's TLS certificate with its chain, e.g. fullchain.pem, and its key) the profile
// is signed with that chain instead. A setting that does not work falls back to the device CA,
// and the admin's enrollment page says why.

export interface ProfileSigner {
  certPem: string;
  keyPem: string;
  /** Intermediates sent along, so the device can build the chain to its trusted root. */
  chain: string[];
  subject: string;
  notAfter: Date;
  /** Signed with the configured certificate (Verified when its root is trusted), not the device CA. */
  configured: boolean;
}

export type SignerProblem = "unreadable" | "noCertificate" | "keyMismatch" | "expired" | "notYetValid" | "brokenChain" | "onlyOne";

export interface SignerStatus {
  signer: ProfileSigner;
  /** Why the configured certificate is not used, when one is configured. */
  problem: SignerProblem | null;
}

const pemOrFile = (v: string) => (v.includes("-----BEGIN") ? v : readFileSync(v, "utf8"));

/** The configured certificate and key, checked; null when none is configured. Throws SignerProblem. */
export function configuredSigner(env: Record<string, string | undefined> = process.env, now = new Date()): ProfileSigner | null {
  const certVar = env.MAMORI_PROFILE_SIGNING_CERT?.trim();
  const keyVar = env.MAMORI_PROFILE_SIGNING_KEY?.trim();
  if (!certVar && !keyVar) return null;
  if (!certVar || !keyVar) throw problem("onlyOne");
  let certText: string;
  let keyPem: string;
  try {
    certText = pemOrFile(certVar);
    keyPem = pemOrFile(keyVar);
  } catch {
    throw problem("unreadable");
  }
  const ders = certificatesFromInput(certText);
  if (ders.length === 0) throw problem("noCertificate");
  const [leafPem, ...chain] = ders.map((d) => toPem(d));
  let matches = false;
  try {
    matches = publicKeyMatches(leafPem!, keyPem);
  } catch {
    throw problem("unreadable");
  }
  if (!matches) throw problem("keyMismatch");
  const info = describeDer(ders[0]!);
  if (info.notAfter <= now) throw problem("expired");
  if (info.notBefore > now) throw problem("notYetValid");
  // Each certificate must be issued by the next one: a shuffled or foreign chain would not verify on the device.
  for (let i = 0; i + 1 < ders.length; i++) {
    if (!new X509Certificate(ders[i]!).checkIssued(new X509Certificate(ders[i + 1]!))) throw problem("brokenChain");
  }
  return { certPem: leafPem!, keyPem, chain, subject: info.subject, notAfter: info.notAfter, configured: true };
}

function problem(p: SignerProblem): Error & { signerProblem: SignerProblem } {
  return Object.assign(new Error(`profile signing certificate: ${p}`), { signerProblem: p });
}

/** The signer to use now and, when the configured one cannot be used, why. */
export async function profileSigner(env: Record<string, string | undefined> = process.env, now = new Date()): Promise<SignerStatus> {
  let p: SignerProblem | null = null;
  try {
    const configured = configuredSigner(env, now);
    if (configured) return { signer: configured, problem: null };
  } catch (e) {
    const sp = (e as { signerProblem?: SignerProblem }).signerProblem;
    if (!sp) throw e;
    p = sp;
  }
  const ca = await deviceCa();
  return { signer: { certPem: ca.certPem, keyPem: ca.keyPem, chain: [], subject: ca.subject, notAfter: ca.notAfter, configured: false }, problem: p };
}
