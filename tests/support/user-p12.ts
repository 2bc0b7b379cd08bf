import forge from "node-forge";
import type { Issued, TestCa } from "./test-ca";

// PKCS#12 files as a user would export them from a mail client, made with node-forge.

const DAY = 86_400_000;

export interface P12Options {
  cn?: string;
  email?: string;
  password?: string;
  /** false: the certificate alone, as "export without private key" makes. */
  withKey?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  algorithm?: "3des" | "aes256";
}

export function smimeIdentity(ca: TestCa, o: P12Options = {}): Issued {
  return ca.issue({
    subject: [{ name: "commonName", value: o.cn ?? "Hanako Sato" }, { name: "emailAddress", value: o.email ?? "hanako@example.jp" }],
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", emailProtection: true },
    ],
  });
}

export function p12Of(id: Issued, ca: TestCa | null, o: P12Options = {}): Buffer {
  const certs = [id.cert, ...(ca ? [ca.cert] : [])];
  const asn1 = forge.pkcs12.toPkcs12Asn1(o.withKey === false ? null : id.key, certs, o.password ?? "secret", { algorithm: o.algorithm ?? "aes256" });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

export function smimeP12(ca: TestCa, o: P12Options = {}): Buffer {
  return p12Of(smimeIdentity(ca, o), ca, o);
}

export const expiredDates = { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY) };
