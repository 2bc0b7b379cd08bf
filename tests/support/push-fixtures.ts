import forge from "node-forge";
import { randomUUID } from "node:crypto";
import { applePushSubject, type Issued, type TestCa } from "./test-ca";

const DAY = 86_400_000;

/** What Apple's portal would return for a CSR: a certificate for the CSR's key with an Apple-like subject. */
export function signPushCsr(ca: TestCa, csrPem: string, opts: { uuid?: string; days?: number; notBefore?: Date } = {}): Issued {
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  const notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  return ca.issue({
    subject: applePushSubject(opts.uuid ?? randomUUID()),
    publicKey: csr.publicKey as forge.pki.rsa.PublicKey,
    notBefore,
    notAfter: new Date(Date.now() + (opts.days ?? 365) * DAY),
  });
}

/** A PKCS#12 made with node-forge (3DES), as an MDM vendor would export its signing identity. */
export function toPkcs12(issued: Issued, password: string, chain: string[] = []): Buffer {
  const certs = [issued.cert, ...chain.map((p) => forge.pki.certificateFromPem(p))];
  const asn1 = forge.pkcs12.toPkcs12Asn1(issued.key, certs, password, { algorithm: "3des" });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

export function serverIdentity(ca: TestCa): Issued {
  return ca.issue({
    subject: [{ name: "commonName", value: "localhost" }],
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
}
