import forge from "node-forge";
import { randomUUID } from "node:crypto";

// Certificates made in tests: a CA and leaves shaped like Apple's, never real ones.

export interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  certPem: string;
  keyPem: string;
  certDer: Buffer;
}

export interface TestCa extends Issued {
  issue(opts: IssueOptions): Issued;
}

export interface IssueOptions {
  subject: forge.pki.CertificateField[];
  /** Reuse a key (e.g. the one behind a CSR); a new 2048-bit key otherwise. */
  publicKey?: forge.pki.rsa.PublicKey;
  privateKey?: forge.pki.rsa.PrivateKey;
  notBefore?: Date;
  notAfter?: Date;
  serial?: string;
  extensions?: object[];
}

const DAY = 86_400_000;

function finish(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey | undefined): Issued {
  return {
    cert,
    key: key!,
    certPem: forge.pki.certificateToPem(cert),
    keyPem: key ? forge.pki.privateKeyToPem(key) : "",
    certDer: Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary"),
  };
}

function serial(): string {
  return "01" + forge.util.bytesToHex(forge.random.getBytesSync(8));
}

export function createTestCa(cn = "Mamori Test CA"): TestCa {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + 3650 * DAY);
  const attrs = [{ name: "commonName", value: cn }, { name: "organizationName", value: "Mamori Tests" }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const ca = finish(cert, keys.privateKey);
  return {
    ...ca,
    issue(opts) {
      let pub = opts.publicKey;
      let priv = opts.privateKey;
      if (!pub) {
        const k = forge.pki.rsa.generateKeyPair(2048);
        pub = k.publicKey;
        priv = k.privateKey;
      }
      const c = forge.pki.createCertificate();
      c.publicKey = pub;
      c.serialNumber = opts.serial ?? serial();
      c.validity.notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
      c.validity.notAfter = opts.notAfter ?? new Date(Date.now() + 365 * DAY);
      c.setSubject(opts.subject);
      c.setIssuer(cert.subject.attributes);
      c.setExtensions(opts.extensions ?? [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", clientAuth: true },
      ]);
      c.sign(keys.privateKey, forge.md.sha256.create());
      return finish(c, priv);
    },
  };
}

/** Subject as Apple's push certificates have it: UID=com.apple.mgmt.External.<uuid>, CN=APSP:<uuid>, C=US. */
export function applePushSubject(uuid: string = randomUUID()): forge.pki.CertificateField[] {
  return [
    { type: "0.9.2342.19200300.100.1.1", value: `com.apple.mgmt.External.${uuid}` },
    { name: "commonName", value: `APSP:${uuid}` },
    { name: "countryName", value: "US" },
  ];
}

/** A TLS server certificate for `host` (a DNS name), as a mail relay or web server has. */
export function serverCertificate(ca: TestCa, host = "localhost"): Issued {
  return ca.issue({
    subject: [{ name: "commonName", value: host }],
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: host }] },
    ],
  });
}
