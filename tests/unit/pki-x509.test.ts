import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeCertificate, publicKeyMatches } from "@/lib/pki/x509";
import { type Issued, type TestCa, applePushSubject, createTestCa } from "@/tests/support/test-ca";
import { codeOf } from "@/tests/support/refusal";

const UUID = "6a1c0b8e-3f7d-4a52-9c1e-2b5d8f0e7a13";
let dir: string;
let ca: TestCa;
let push: Issued;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-x509-"));
  ca = createTestCa();
  push = ca.issue({ subject: applePushSubject(UUID), serial: "0a1b2c3d4e5f" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function openssl(args: string[], input?: string | Buffer): Buffer {
  return execFileSync("openssl", args, { cwd: dir, input, stdio: ["pipe", "pipe", "pipe"] });
}

describe("describeCertificate", () => {
  it("reads an Apple-shaped push certificate from PEM", () => {
    const info = describeCertificate(push.certPem);
    expect(info.subject).toBe(`UID=com.apple.mgmt.External.${UUID}, CN=APSP:${UUID}, C=US`);
    expect(info.issuer).toBe("CN=Mamori Test CA, O=Mamori Tests");
    expect(info.uid).toBe(`com.apple.mgmt.External.${UUID}`);
    expect(info.commonName).toBe(`APSP:${UUID}`);
    expect(info.serial).toBe("0A1B2C3D4E5F");
    expect(info.notBefore.getTime()).toBe(Math.floor(push.cert.validity.notBefore.getTime() / 1000) * 1000);
    expect(info.notAfter.getTime()).toBe(Math.floor(push.cert.validity.notAfter.getTime() / 1000) * 1000);
    expect(info.pem.replace(/\s/g, "")).toBe(push.certPem.replace(/\s/g, ""));
  });

  it("gives the same result for DER and agrees with openssl on fingerprint and key hash", () => {
    const fromDer = describeCertificate(push.certDer);
    expect(fromDer).toEqual(describeCertificate(push.certPem));

    writeFileSync(path.join(dir, "push.pem"), push.certPem);
    const fp = openssl(["x509", "-in", "push.pem", "-noout", "-fingerprint", "-sha256"]).toString();
    expect(fp.trim().split("=")[1]).toBe(fromDer.fingerprintSha256);
    const spki = openssl(["pkey", "-pubin", "-outform", "DER"], openssl(["x509", "-in", "push.pem", "-noout", "-pubkey"]));
    expect(fromDer.publicKeySpkiSha256).toBe(createHash("sha256").update(spki).digest("hex"));
  });

  it("decodes UTF-8 names, escapes RFC 4514 specials and reads GeneralizedTime", () => {
    const cert = ca.issue({
      subject: [
        { name: "commonName", value: "Tanaka, Taro" },
        // forge UTF-8-encodes the value itself for a UTF8String tag; @types has the field's type wrong.
        { name: "organizationName", value: "株式会社まもり", valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class },
      ],
      notAfter: new Date("2061-03-04T05:06:07Z"),
    });
    const info = describeCertificate(cert.certPem);
    expect(info.subject).toBe("CN=Tanaka\\, Taro, O=株式会社まもり");
    expect(info.uid).toBeNull();
    expect(info.notAfter.toISOString()).toBe("2061-03-04T05:06:07.000Z");
  });

  it("ignores a private key block around the certificate", () => {
    expect(describeCertificate(`${push.keyPem}\n${push.certPem}`).uid).toBe(`com.apple.mgmt.External.${UUID}`);
    expect(describeCertificate(Buffer.from(`${push.certPem}${push.keyPem}`)).serial).toBe("0A1B2C3D4E5F");
  });

  it("refuses what is not a certificate", () => {
    expect(codeOf(() => describeCertificate(randomBytes(300)))).toBe("pushCert.notCertificate");
    expect(codeOf(() => describeCertificate("hello"))).toBe("pushCert.notCertificate");
    expect(codeOf(() => describeCertificate(push.keyPem))).toBe("pushCert.notCertificate");
    const lines = push.certPem.trim().split(/\r?\n/);
    const broken = [...lines.slice(0, 3), ...lines.slice(-3)].join("\n"); // middle cut out
    expect(codeOf(() => describeCertificate(broken))).toBe("pushCert.notCertificate");
  });
});

describe("publicKeyMatches", () => {
  it("tells the certificate's own key from another", () => {
    expect(publicKeyMatches(push.certPem, push.keyPem)).toBe(true);
    expect(publicKeyMatches(push.certPem, ca.keyPem)).toBe(false);
  });
});
