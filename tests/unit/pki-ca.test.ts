import { spawnSync } from "node:child_process";
import { X509Certificate, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CaMaterial, createCa, createCsr, createSelfSigned, issueCertificate, newRsaKeyPem, readCsr } from "@/lib/pki/ca";
import { describeCertificate } from "@/lib/pki/x509";
import { codeOf } from "@/tests/support/refusal";

const DAY = 86_400_000;
let dir: string;
let ca: CaMaterial;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-ca-"));
  ca = createCa({ commonName: "Mamori Test Device CA", years: 10 });
  writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], input?: string) {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", input });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}


describe("createCa", () => {
  it("makes a self-signed RSA 2048 CA that may sign certificates and SCEP messages", () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(ca.keyPem).export({ format: "jwk" })).toEqual(cert.publicKey.export({ format: "jwk" }));
    const info = describeCertificate(ca.certPem);
    expect(info.subject).toBe("CN=Mamori Test Device CA");
    expect(info.issuer).toBe(info.subject);
    const years = (info.notAfter.getTime() - Date.now()) / (365.25 * DAY);
    expect(years).toBeGreaterThan(9.99);
    expect(years).toBeLessThan(10.01);

    const text = openssl(["x509", "-in", "ca.pem", "-noout", "-text"]).out;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment, Certificate Sign, CRL Sign/);
    expect(text).toContain("Subject Key Identifier");
    expect(openssl(["verify", "-x509_strict", "-CAfile", "ca.pem", "ca.pem"]).status).toBe(0);
  });

  it("gives every CA its own key and serial", () => {
    const other = createCa({ commonName: "Other", years: 1 });
    expect(other.keyPem).not.toBe(ca.keyPem);
    expect(describeCertificate(other.certPem).serial).not.toBe(describeCertificate(ca.certPem).serial);
  });
});

describe("issueCertificate", () => {
  it("copies the CSR's subject and key, and chains to the CA (Node and OpenSSL agree)", () => {
    const keyPem = newRsaKeyPem();
    const csrPem = createCsr({ keyPem, subject: [["CN", "端末-1 (iPhone)"], ["O", "Mamori, Inc."], ["C", "JP"]], challenge: "c" });
    const certPem = issueCertificate(ca, { csr: csrPem, days: 365 });
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // extended key usage: clientAuth only
    expect(cert.publicKey.export({ format: "jwk" })).toEqual(createPublicKey(keyPem).export({ format: "jwk" }));
    const info = describeCertificate(certPem);
    expect(info.subject).toBe("CN=端末-1 (iPhone), O=Mamori\\, Inc., C=JP");
    expect(info.issuer).toBe("CN=Mamori Test Device CA");
    const days = (info.notAfter.getTime() - Date.now()) / DAY;
    expect(days).toBeGreaterThan(364.99);
    expect(days).toBeLessThan(365.01);
    expect(info.notBefore.getTime()).toBeLessThan(Date.now());

    writeFileSync(path.join(dir, "leaf.pem"), certPem);
    const verified = openssl(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.pem", "leaf.pem"]);
    expect(verified.out).toContain("leaf.pem: OK");
    const text = openssl(["x509", "-in", "leaf.pem", "-noout", "-text"]).out;
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication\n/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    // The AKI repeats the CA's SKI.
    const caSki = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(["x509", "-in", "ca.pem", "-noout", "-text"]).out)![1];
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${caSki}`));
  });

  it("uses a random positive 16-byte serial unless one is given", () => {
    const keyPem = newRsaKeyPem();
    const publicKeyPem = createPublicKey(keyPem).export({ type: "spki", format: "pem" }).toString();
    const serials = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const s = describeCertificate(issueCertificate(ca, { publicKeyPem, subject: [["CN", "x"]], days: 1 })).serial;
      expect(s).toMatch(/^[0-7][0-9A-F]{31}$/);
      expect(s).not.toMatch(/^00/);
      serials.add(s);
    }
    expect(serials.size).toBe(8);
    const fixed = issueCertificate(ca, { publicKeyPem, subject: [["CN", "x"]], days: 1, serial: "0A1B2C" });
    expect(describeCertificate(fixed).serial).toBe("0A1B2C");
  });

  it("never outlives the CA", () => {
    const shortCa = createCa({ commonName: "Short", years: 1 });
    const keyPem = newRsaKeyPem();
    const cert = issueCertificate(shortCa, { csr: createCsr({ keyPem, subject: [["CN", "d"]] }), days: 5000 });
    expect(describeCertificate(cert).notAfter.getTime()).toBe(describeCertificate(shortCa.certPem).notAfter.getTime());
  });

  it("accepts an OpenSSL CSR, EC keys included, and refuses a forged one", () => {
    writeFileSync(path.join(dir, "req.cnf"), "[req]\nprompt=no\ndistinguished_name=dn\nattributes=attrs\n[dn]\nCN=openssl-device\nO=Mamori\n[attrs]\nchallengePassword=one-time-123\n");
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key"]);
    const r = openssl(["req", "-new", "-key", "ec.key", "-config", "req.cnf", "-out", "ec.csr"]);
    expect(r.status).toBe(0);
    const csrPem = openssl(["req", "-in", "ec.csr"]).out;
    const info = readCsr(csrPem);
    expect(info.subject).toBe("CN=openssl-device, O=Mamori");
    expect(info.commonName).toBe("openssl-device");
    expect(info.challenge).toBe("one-time-123");
    expect(info.keyType).toBe("ec");
    const cert = new X509Certificate(issueCertificate(ca, { csr: csrPem, days: 30 }));
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyType).toBe("ec");

    // Same request, someone else's key in it: the self-signature no longer holds.
    const der = Buffer.from(info.csrDer);
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const otherSpki = publicKey.export({ type: "spki", format: "der" });
    der.set(otherSpki, der.indexOf(info.spkiDer));
    expect(codeOf(() => readCsr(der))).toBe("ca.badCsr");
    expect(codeOf(() => issueCertificate(ca, { csr: der, days: 1 }))).toBe("ca.badCsr");
    expect(codeOf(() => readCsr(Buffer.from("not a request")))).toBe("ca.badCsr");
    expect(codeOf(() => readCsr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"))).toBe("ca.badCsr");
    expect(codeOf(() => readCsr(ca.certPem))).toBe("ca.badCsr");
  });
});

describe("createCsr and createSelfSigned", () => {
  it("writes a challengePassword OpenSSL reads, and a self-signed certificate for the same key", () => {
    const keyPem = newRsaKeyPem();
    const csrPem = createCsr({ keyPem, subject: [["CN", "device-1"], ["OU", "MDM"]], challenge: "pa ss+word" });
    writeFileSync(path.join(dir, "mine.csr"), csrPem);
    const text = openssl(["req", "-in", "mine.csr", "-noout", "-verify", "-text"]).out;
    expect(text).toContain("verify OK");
    expect(text).toMatch(/challengePassword\s*:pa ss\+word/);
    expect(readCsr(csrPem).challenge).toBe("pa ss+word");
    expect(readCsr(createCsr({ keyPem, subject: [["CN", "x"]], challenge: "日本語" })).challenge).toBe("日本語");
    expect(readCsr(createCsr({ keyPem, subject: [["CN", "x"]] })).challenge).toBeNull();

    const self = new X509Certificate(createSelfSigned({ keyPem, subject: [["CN", "SCEP SIGNER"]] }));
    expect(self.verify(self.publicKey)).toBe(true);
    expect(self.subject).toBe("CN=SCEP SIGNER");
    expect(new Date(self.validTo).getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
  });
});
