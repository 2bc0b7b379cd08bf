import { spawnSync } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import * as plist from "plist";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PushRequest, generatePushRequest, parseVendorRequest, vendorSignRequest } from "@/lib/pki/push-csr";
import { type Issued, type TestCa, createTestCa } from "@/tests/support/test-ca";
import { codeOf } from "@/tests/support/refusal";

const DAY = 86_400_000;
let dir: string;
let ca: TestCa;
let vendor: Issued;
let request: PushRequest;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-csr-"));
  ca = createTestCa("Mamori Test WWDR CA");
  vendor = ca.issue({ subject: [{ name: "commonName", value: "MDM Vendor: Mamori Tests" }] });
  request = generatePushRequest();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function openssl(args: string[]) {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function decodeRequest(b64: string): Record<string, string> {
  return plist.parse(Buffer.from(b64, "base64").toString("utf8")) as Record<string, string>;
}

function encodeRequest(dict: Record<string, string>): string {
  return Buffer.from(plist.build(dict), "utf8").toString("base64");
}

describe("generatePushRequest", () => {
  it("makes an RSA 2048 key and a SHA-256 CSR for it", () => {
    const csr = forge.pki.certificationRequestFromPem(request.csrPem);
    expect(csr.verify()).toBe(true);
    expect(csr.siginfo.algorithmOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    expect(csr.subject.getField("CN").value).toBe("Mamori Push Certificate Request");
    const key = createPublicKey(request.keyPem);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const csrKeyPem = forge.pki.publicKeyToPem(csr.publicKey!);
    expect(createPublicKey(csrKeyPem).export({ format: "jwk" })).toEqual(key.export({ format: "jwk" }));
  });

  it("is accepted by openssl req -verify", () => {
    writeFileSync(path.join(dir, "push.csr"), request.csrPem);
    const r = openssl(["req", "-in", "push.csr", "-verify", "-noout"]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/verify OK/i);
  });
});

describe("vendorSignRequest / parseVendorRequest", () => {
  it("builds the plist Apple expects and verifies it back", () => {
    const b64 = vendorSignRequest(request.csrPem, { ...vendor, chainPem: [ca.certPem] });
    expect(b64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const xml = Buffer.from(b64, "base64").toString("utf8");
    expect(xml).toContain("<!DOCTYPE plist");

    const dict = decodeRequest(b64);
    expect(Object.keys(dict).sort()).toEqual(["PushCertCertificateChain", "PushCertRequestCSR", "PushCertSignature"]);
    const chain = dict.PushCertCertificateChain!;
    expect(chain.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    for (const line of chain.split("\n")) expect(line.length).toBeLessThanOrEqual(64);

    const parsed = parseVendorRequest(b64);
    const csrDer = forge.asn1.toDer(forge.pki.certificationRequestToAsn1(forge.pki.certificationRequestFromPem(request.csrPem)));
    expect(parsed.csrDer.toString("binary")).toBe(csrDer.getBytes());
    expect(parsed.chainPems[0]!.replace(/\s/g, "")).toBe(vendor.certPem.replace(/\s/g, ""));
    expect(parsed.chainPems[1]!.replace(/\s/g, "")).toBe(ca.certPem.replace(/\s/g, ""));

    // The signature is plain RSA PKCS#1 v1.5 / SHA-256 over the CSR DER: openssl agrees.
    writeFileSync(path.join(dir, "csr.der"), parsed.csrDer);
    writeFileSync(path.join(dir, "sig.bin"), parsed.signature);
    writeFileSync(path.join(dir, "vendor.pem"), vendor.certPem);
    writeFileSync(path.join(dir, "vendor.pub"), createPublicKey(vendor.certPem).export({ type: "spki", format: "pem" }));
    const r = openssl(["dgst", "-sha256", "-verify", "vendor.pub", "-signature", "sig.bin", "csr.der"]);
    expect(r.out).toContain("Verified OK");
  });

  it("works without a chain", () => {
    const parsed = parseVendorRequest(vendorSignRequest(request.csrPem, vendor));
    expect(parsed.chainPems).toHaveLength(1);
  });

  it("rejects a tampered signature or a swapped CSR", () => {
    const dict = decodeRequest(vendorSignRequest(request.csrPem, vendor));
    const sig = Buffer.from(dict.PushCertSignature!, "base64");
    sig[10]! ^= 0x01;
    const tampered = encodeRequest({ ...dict, PushCertSignature: sig.toString("base64") });
    expect(codeOf(() => parseVendorRequest(tampered))).toBe("pushCert.badVendorSignature");

    const other = generatePushRequest();
    const otherDer = decodeRequest(vendorSignRequest(other.csrPem, vendor)).PushCertRequestCSR!;
    const swapped = encodeRequest({ ...dict, PushCertRequestCSR: otherDer });
    expect(codeOf(() => parseVendorRequest(swapped))).toBe("pushCert.badVendorSignature");
  });

  it("rejects files that are not a vendor request", () => {
    expect(codeOf(() => parseVendorRequest("bm90IGEgcGxpc3Q="))).toBe("pushCert.badVendorRequest");
    const dict = decodeRequest(vendorSignRequest(request.csrPem, vendor));
    const noChain = encodeRequest({ PushCertRequestCSR: dict.PushCertRequestCSR!, PushCertSignature: dict.PushCertSignature! });
    expect(codeOf(() => parseVendorRequest(noChain))).toBe("pushCert.badVendorRequest");
  });

  it("refuses a broken CSR", () => {
    expect(codeOf(() => vendorSignRequest("not a csr", vendor))).toBe("pushCert.badCsr");
    // Change one byte inside the signed part: the CSR's self-signature no longer holds.
    const csr = forge.pki.certificationRequestFromPem(request.csrPem);
    csr.setSubject([{ name: "commonName", value: "Someone Else" }]);
    (csr as unknown as { certificationRequestInfo: unknown }).certificationRequestInfo = null;
    const forged = forge.pki.certificationRequestToPem(csr);
    expect(codeOf(() => vendorSignRequest(forged, vendor))).toBe("pushCert.badCsr");
  });

  it("refuses a vendor certificate that is unreadable, expired or not matching the key", () => {
    expect(codeOf(() => vendorSignRequest(request.csrPem, { certPem: "junk", keyPem: vendor.keyPem }))).toBe(
      "pushCert.vendorNotCertificate",
    );
    expect(codeOf(() => vendorSignRequest(request.csrPem, { ...vendor, chainPem: ["junk"] }))).toBe(
      "pushCert.vendorNotCertificate",
    );
    expect(codeOf(() => vendorSignRequest(request.csrPem, { certPem: vendor.certPem, keyPem: ca.keyPem }))).toBe(
      "pushCert.vendorKeyMismatch",
    );
    const expired = ca.issue({
      subject: [{ name: "commonName", value: "Old Vendor" }],
      publicKey: vendor.cert.publicKey as forge.pki.rsa.PublicKey,
      privateKey: vendor.key,
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    expect(codeOf(() => vendorSignRequest(request.csrPem, expired))).toBe("pushCert.vendorExpired");
  });
});
