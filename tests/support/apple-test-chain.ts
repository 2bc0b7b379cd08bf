import forge from "node-forge";
import type { Issued } from "./test-ca";

// A chain shaped like Apple's for MDM CSR signing certificates (root → WWDR CA → "MDM Vendor: …"),
// made here: tests trust its root through MAMORI_APPLE_TRUST_ROOTS_FILE, never by default.

const DAY = 86_400_000;
type Field = forge.pki.CertificateField;

export const APPLE_ROOT_NAME: Field[] = [
  { name: "countryName", value: "US" },
  { name: "organizationName", value: "Apple Inc." },
  { name: "organizationalUnitName", value: "Apple Certification Authority" },
  { name: "commonName", value: "Apple Root CA" },
];
export const WWDR_NAME: Field[] = [
  { name: "commonName", value: "Apple Worldwide Developer Relations Certification Authority" },
  { name: "organizationalUnitName", value: "G3" },
  { name: "organizationName", value: "Apple Inc." },
  { name: "countryName", value: "US" },
];
export const vendorName = (cn = "MDM Vendor: Mamori Test"): Field[] => [
  { type: "0.9.2342.19200300.100.1.1", value: "TEAMID1234" },
  { name: "commonName", value: cn },
  { name: "organizationName", value: "Mamori Test" },
  { name: "countryName", value: "JP" },
];

function make(subject: Field[], issuer: Field[], signer: forge.pki.rsa.PrivateKey | null, ca: boolean, opts: { notBefore?: Date; notAfter?: Date } = {}): Issued {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const c = forge.pki.createCertificate();
  c.publicKey = keys.publicKey;
  c.serialNumber = "01" + forge.util.bytesToHex(forge.random.getBytesSync(8));
  c.validity.notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  c.validity.notAfter = opts.notAfter ?? new Date(Date.now() + 365 * DAY);
  c.setSubject(subject);
  c.setIssuer(issuer);
  c.setExtensions(ca ? [{ name: "basicConstraints", cA: true, critical: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true }] : [{ name: "basicConstraints", cA: false }, { name: "keyUsage", digitalSignature: true }]);
  c.sign(signer ?? keys.privateKey, forge.md.sha256.create());
  return {
    cert: c,
    key: keys.privateKey,
    certPem: forge.pki.certificateToPem(c),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    certDer: Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), "binary"),
  };
}

export interface TestAppleChain {
  root: Issued;
  wwdr: Issued;
  /** A leaf issued by the WWDR stand-in with the given subject (an MDM vendor one by default). */
  issue(subject?: Field[], opts?: { notBefore?: Date; notAfter?: Date }): Issued;
}

export function createTestAppleChain(): TestAppleChain {
  const root = make(APPLE_ROOT_NAME, APPLE_ROOT_NAME, null, true, { notAfter: new Date(Date.now() + 3650 * DAY) });
  const wwdr = make(WWDR_NAME, APPLE_ROOT_NAME, root.key, true, { notAfter: new Date(Date.now() + 3000 * DAY) });
  return { root, wwdr, issue: (subject = vendorName(), opts = {}) => make(subject, WWDR_NAME, wwdr.key, false, opts) };
}

/** A stranger: any certificate under the given subject, self-signed or issued by a throwaway CA. */
export function selfSigned(subject: Field[]): Issued {
  return make(subject, subject, null, false);
}
export function fromRandomCa(subject: Field[]): Issued {
  const ca = make([{ name: "commonName", value: "Random Test CA" }], [{ name: "commonName", value: "Random Test CA" }], null, true);
  return make(subject, [{ name: "commonName", value: "Random Test CA" }], ca.key, false);
}
/** Named like Apple's WWDR CA but signed by another key: only a chain check catches it. */
export function impostor(): Issued {
  const fake = make(WWDR_NAME, APPLE_ROOT_NAME, null, true);
  return make(vendorName(), WWDR_NAME, fake.key, false);
}
