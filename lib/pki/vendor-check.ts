import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { UserError } from "@/lib/errors";
import { certificatesFromInput } from "@/lib/pki/x509";

// What Apple's portal requires of the certificate that signs a push certificate request: an
// "MDM CSR" signing certificate from the Apple Developer Enterprise Program. As issued (see
// Apple's "MDM Vendor CSR Signing Overview" and the chain printed in micromdm's mdmcert.download
// notes) its subject CN reads "MDM Vendor: <organisation>", its issuer is "Apple Worldwide
// Developer Relations Certification Authority" (O=Apple Inc., OU=G3 or a later generation),
// and that CA is issued by "Apple Root CA" (O=Apple Inc., OU=Apple Certification Authority).
// We found no reliable public source for an extension OID that marks the MDM CSR purpose, so
// the purpose check is the "MDM Vendor:" name Apple gives these certificates.
//
// Apple's root is not embedded: names, signatures of the chain the file carries, and validity
// are checked. MAMORI_APPLE_TRUST_ROOTS_FILE (PEM) replaces that with a full chain check to the
// roots in the file: for tests with a CA standing in for Apple, or an air-gapped check against
// Apple's root downloaded from apple.com/certificateauthority.

export const WWDR_CN = "Apple Worldwide Developer Relations Certification Authority";
/** "Apple Root CA", or a later generation ("Apple Root CA - G3") that newer WWDR CAs chain to. */
export const APPLE_ROOT_CN = /^Apple Root CA(?: - G\d+)?$/;
export const APPLE_ORG = "Apple Inc.";
export const MDM_VENDOR_PREFIX = "MDM Vendor:";

export interface VendorCheckOptions {
  now?: Date;
  /** PEM roots to chain to; defaults to MAMORI_APPLE_TRUST_ROOTS_FILE when set. */
  trustRootsPem?: string | null;
}

/** The value of one attribute in Node's "CN=…\nO=…" name form, or null. */
export function nameAttr(name: string, key: string): string | null {
  for (const line of name.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0 && line.slice(0, i) === key) return line.slice(i + 1);
  }
  return null;
}

function trustRootsFromEnv(): string | null {
  const file = process.env.MAMORI_APPLE_TRUST_ROOTS_FILE;
  if (!file) return null;
  try {
    return readFileSync(file, "utf8");
  } catch {
    throw new UserError("vendorCert.trustRootsUnreadable");
  }
}

const issuedBy = (child: X509Certificate, parent: X509Certificate) => child.checkIssued(parent) && safeVerify(child, parent);
function safeVerify(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/**
 * Throws a UserError naming the first requirement the vendor certificate misses:
 * self-signed, not issued by Apple's developer relations CA, not an MDM CSR certificate,
 * not yet valid or expired, or (with trust roots) not chaining to them.
 */
export function checkVendorCertificate(certPem: string, chainPems: string[], opts: VendorCheckOptions = {}): void {
  const now = opts.now ?? new Date();
  const leaf = parse(certPem);
  const chain = chainPems.map(parse);
  // Signature only: OpenSSL's issuer check also wants keyCertSign, which a self-signed leaf may lack.
  if (leaf.subject === leaf.issuer && safeVerify(leaf, leaf)) throw new UserError("vendorCert.selfSigned");
  if (nameAttr(leaf.issuer, "CN") !== WWDR_CN || nameAttr(leaf.issuer, "O") !== APPLE_ORG) {
    throw new UserError("vendorCert.notApple", { issuer: oneLine(leaf.issuer) });
  }
  if (!(nameAttr(leaf.subject, "CN") ?? "").startsWith(MDM_VENDOR_PREFIX)) {
    throw new UserError("vendorCert.notMdmCsr", { subject: oneLine(leaf.subject) });
  }
  if (new Date(leaf.validFrom).getTime() > now.getTime()) throw new UserError("vendorCert.notYetValid", { date: new Date(leaf.validFrom).toISOString() });
  if (new Date(leaf.validTo).getTime() <= now.getTime()) throw new UserError("pushCert.vendorExpired", { date: new Date(leaf.validTo).toISOString() });

  const rootsPem = opts.trustRootsPem !== undefined ? opts.trustRootsPem : trustRootsFromEnv();
  if (rootsPem) {
    const roots = certificatesFromInput(rootsPem).map((d) => new X509Certificate(d));
    if (!chainsTo(leaf, chain, roots, now)) throw new UserError("vendorCert.untrustedChain");
    return;
  }
  // No roots configured: whatever chain the file carries must hold together and name Apple's root.
  const wwdr = chain.find((c) => leaf.checkIssued(c));
  if (wwdr) {
    if (!safeVerify(leaf, wwdr)) throw new UserError("vendorCert.untrustedChain");
    if (!APPLE_ROOT_CN.test(nameAttr(wwdr.issuer, "CN") ?? "") || nameAttr(wwdr.issuer, "O") !== APPLE_ORG) throw new UserError("vendorCert.untrustedChain");
  }
}

/** A path leaf → intermediates (from the file) → one of the roots, every link signed and in date. */
function chainsTo(leaf: X509Certificate, pool: X509Certificate[], roots: X509Certificate[], now: Date): boolean {
  let current = leaf;
  for (let depth = 0; depth < 5; depth++) {
    if (roots.some((r) => issuedBy(current, r) && inDate(r, now))) return true;
    const next = pool.find((c) => c !== current && issuedBy(current, c) && c.ca && inDate(c, now));
    if (!next) return false;
    current = next;
  }
  return false;
}

const inDate = (c: X509Certificate, now: Date) => new Date(c.validFrom).getTime() <= now.getTime() && now.getTime() < new Date(c.validTo).getTime();
const oneLine = (name: string) => name.split("\n").join(", ");

function parse(pem: string): X509Certificate {
  const der = certificatesFromInput(pem)[0];
  try {
    if (der) return new X509Certificate(der);
  } catch {
    // fall through
  }
  throw new UserError("pushCert.vendorNotCertificate");
}
