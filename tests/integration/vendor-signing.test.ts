import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import forge from "node-forge";
import { useOwnDatabase } from "../support/own-database";
import { toPkcs12 } from "../support/push-fixtures";
import { createTestAppleChain, fromRandomCa, impostor, selfSigned, vendorName, type TestAppleChain } from "../support/apple-test-chain";
import { startFakeMdmcert, type FakeMdmcert } from "../support/fake-mdmcert";
import { prisma } from "@/lib/db/client";
import * as svc from "@/lib/push-certificates/service";
import * as signing from "@/lib/push-certificates/signing-service";
import { parseVendorRequest } from "@/lib/pki/push-csr";
import { checkVendorCertificate } from "@/lib/pki/vendor-check";

useOwnDatabase();

const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: "vitest" };
const API_KEY = "test-api-key-0123456789";
const code = (p: Promise<unknown>) => p.then(() => "ok", (e) => e.code ?? String(e));
const failures = async (action: string) =>
  (await prisma().auditEvent.findMany({ where: { action, result: "FAILURE" }, orderBy: { at: "asc" } })).map((f) => (f.details as { code: string }).code);

let apple: TestAppleChain;
let rootsFile: string;

beforeAll(() => {
  apple = createTestAppleChain();
  const dir = mkdtempSync(path.join(tmpdir(), "apple-roots-"));
  rootsFile = path.join(dir, "roots.pem");
  writeFileSync(rootsFile, apple.root.certPem);
});

describe("vendor certificate checks", () => {
  const upload = (p12: Buffer) => svc.uploadVendorCertificate(p12, "pw", actor, ctx);
  const chain = () => [apple.wwdr.certPem, apple.root.certPem];

  it("refuses self-signed, foreign, purpose-less, expired and impostor certificates, storing nothing", async () => {
    process.env.MAMORI_APPLE_TRUST_ROOTS_FILE = rootsFile;
    try {
      expect(await code(upload(toPkcs12(selfSigned(vendorName()), "pw")))).toBe("vendorCert.selfSigned");
      expect(await code(upload(toPkcs12(fromRandomCa(vendorName()), "pw")))).toBe("vendorCert.notApple");
      const noPurpose = apple.issue([{ name: "commonName", value: "iPhone Distribution: Mamori Test" }]);
      expect(await code(upload(toPkcs12(noPurpose, "pw", chain())))).toBe("vendorCert.notMdmCsr");
      const expired = apple.issue(vendorName(), { notBefore: new Date(Date.now() - 400 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
      expect(await code(upload(toPkcs12(expired, "pw", chain())))).toBe("pushCert.vendorExpired");
      expect(await code(upload(toPkcs12(impostor(), "pw")))).toBe("vendorCert.untrustedChain");
      expect(await code(svc.uploadVendorCertificate(toPkcs12(apple.issue(), "pw", chain()), "wrong", actor, ctx))).toBe("pkcs12.wrongPassword");
      expect(await prisma().vendorCertificate.count()).toBe(0);
      expect(await failures("vendorCert.upload")).toEqual([
        "vendorCert.selfSigned", "vendorCert.notApple", "vendorCert.notMdmCsr", "pushCert.vendorExpired", "vendorCert.untrustedChain", "pkcs12.wrongPassword",
      ]);
      await upload(toPkcs12(apple.issue(), "pw", chain()));
      expect((await prisma().vendorCertificate.findUniqueOrThrow({ where: { id: 1 } })).subject).toContain("MDM Vendor: Mamori Test");
    } finally {
      delete process.env.MAMORI_APPLE_TRUST_ROOTS_FILE;
    }
  });

  it("without the test trust setting, the test root is not Apple's: an impostor chain fails on its own signatures", () => {
    const leaf = apple.issue();
    expect(() => checkVendorCertificate(leaf.certPem, [apple.wwdr.certPem], { trustRootsPem: null })).not.toThrow();
    const other = createTestAppleChain();
    // Claims the WWDR CA as issuer but the WWDR certificate in the file did not sign it.
    expect(() => checkVendorCertificate(leaf.certPem, [other.wwdr.certPem], { trustRootsPem: null })).toThrow(expect.objectContaining({ code: "vendorCert.untrustedChain" }));
    // With the other chain's root as the only trust root, this leaf does not chain.
    expect(() => checkVendorCertificate(leaf.certPem, [apple.wwdr.certPem], { trustRootsPem: other.root.certPem })).toThrow(expect.objectContaining({ code: "vendorCert.untrustedChain" }));
  });
});

describe("vendor-signing service (mdmcert.download protocol)", () => {
  let fake: FakeMdmcert;

  beforeAll(async () => {
    fake = await startFakeMdmcert({ apiKey: API_KEY, vendor: apple.issue(), chain: [apple.wwdr.certPem, apple.root.certPem] });
    // Only the service signs here: no own vendor certificate.
    await prisma().vendorCertificate.deleteMany();
  });
  afterAll(async () => {
    await fake.close();
    delete process.env.MAMORI_APPLE_TRUST_ROOTS_FILE;
  });

  it("validates and seals the settings", async () => {
    expect(await code(signing.saveServiceSettings({ baseUrl: "http://example.com", email: "a@example.jp", apiKey: API_KEY }, actor, ctx))).toBe("vendorService.urlInvalid");
    expect(await code(signing.saveServiceSettings({ baseUrl: fake.url, email: "a@example.jp", apiKey: "" }, actor, ctx))).toBe("vendorService.apiKeyRequired");
    expect(await code(signing.requestServiceSigning(actor, ctx))).toBe("vendorService.notConfigured");
    await signing.saveServiceSettings({ baseUrl: "", email: "A@Example.jp", apiKey: "wrong-key" }, actor, ctx);
    expect((await signing.getServiceState()).baseUrl).toBe("https://mdmcert.download");
    await signing.saveServiceSettings({ baseUrl: `${fake.url}/`, email: "mdm@example.jp", apiKey: "wrong-key" }, actor, ctx);
    const row = await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.baseUrl).toBe(fake.url);
    expect(row.apiKeySealed).toMatch(/^v1\./);
    expect(row.apiKeySealed).not.toContain("wrong-key");
  });

  it("reports the service's refusal and keeps no exchange key", async () => {
    expect(await prisma().pushCertificateRequest.count()).toBe(0);
    expect(await code(signing.requestServiceSigning(actor, ctx))).toBe("vendorService.refused");
    expect(await prisma().pushCertificateRequest.count()).toBe(1);
    expect(fake.mails).toHaveLength(0);
    expect((await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } })).encryptionKeySealed).toBeNull();
    // Blank API key keeps the stored one; now the right one.
    await signing.saveServiceSettings({ baseUrl: fake.url, email: "mdm@example.jp", apiKey: API_KEY }, actor, ctx);
    await signing.saveServiceSettings({ baseUrl: fake.url, email: "mdm@example.jp", apiKey: "" }, actor, ctx);
  });

  it("submits the pending CSR, then decrypts the mailed reply into the request for Apple's portal", async () => {
    process.env.MAMORI_APPLE_TRUST_ROOTS_FILE = rootsFile;
    // The refused attempt above already made the pending CSR; it is reused, not replaced.
    const pending = await prisma().pushCertificateRequest.findUniqueOrThrow({ where: { id: 1 } });
    expect(await signing.requestServiceSigning(actor, ctx)).toEqual({ email: "mdm@example.jp" });
    const req = await prisma().pushCertificateRequest.findUniqueOrThrow({ where: { id: 1 } });
    expect(req.csrPem).toBe(pending.csrPem);
    expect(fake.mails).toHaveLength(1);
    expect(fake.mails[0]!.to).toBe("mdm@example.jp");
    const row = await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.submittedCsrPem).toBe(req.csrPem);
    expect(row.encryptionKeySealed).toMatch(/^v1\./);
    expect(row.encryptionKeySealed).not.toContain("PRIVATE KEY");
    expect((await signing.getServiceState()).awaitingReply).toBe(true);
    expect(await svc.vendorSignedRequest()).toBeNull();

    await signing.acceptServiceReply(Buffer.from(fake.mails[0]!.body + "\n"), actor, ctx);
    const b64 = (await svc.vendorSignedRequest())!;
    const parsed = parseVendorRequest(b64);
    expect(parsed.csrPem.replace(/\s+/g, "")).toBe(req.csrPem.replace(/\s+/g, ""));
    expect(parsed.chainPems).toHaveLength(3);
    const state = await signing.getServiceState();
    expect(state.signedAt).toBeInstanceOf(Date);
    expect(state.awaitingReply).toBe(false);
  });

  it("reuses the pending CSR; garbage, foreign or stale replies are refused and change nothing", async () => {
    const before = await prisma().pushCertificateRequest.findUniqueOrThrow({ where: { id: 1 } });
    await signing.requestServiceSigning(actor, ctx);
    expect((await prisma().pushCertificateRequest.findUniqueOrThrow({ where: { id: 1 } })).csrPem).toBe(before.csrPem);
    expect(fake.mails).toHaveLength(2);
    const snapshot = await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } });

    // Encrypted for someone else: a valid EnvelopedData Mamori's key cannot open.
    const stranger = selfSigned([{ name: "commonName", value: "stranger" }]);
    const p7 = forge.pkcs7.createEnvelopedData();
    p7.addRecipient(stranger.cert);
    p7.content = forge.util.createBuffer("hello");
    p7.encrypt();
    const foreign = forge.util.bytesToHex(forge.asn1.toDer(p7.toAsn1()).getBytes());

    expect(await code(signing.acceptServiceReply(Buffer.from("not hex at all"), actor, ctx))).toBe("vendorService.badFile");
    expect(await code(signing.acceptServiceReply(Buffer.from("abcd"), actor, ctx))).toBe("vendorService.cannotDecrypt");
    expect(await code(signing.acceptServiceReply(Buffer.from(foreign), actor, ctx))).toBe("vendorService.cannotDecrypt");
    // The first mail was encrypted for the earlier exchange key.
    expect(await code(signing.acceptServiceReply(Buffer.from(fake.mails[0]!.body), actor, ctx))).toBe("vendorService.cannotDecrypt");
    expect(await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } })).toEqual(snapshot);

    // A new CSR makes the sent one stale: its reply is no longer accepted.
    await svc.generateRequest(actor, ctx);
    expect(await code(signing.acceptServiceReply(Buffer.from(fake.mails[1]!.body), actor, ctx))).toBe("vendorService.nothingPending");
    expect(await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } })).toEqual(snapshot);
    expect(await failures("vendorService.reply")).toEqual(["vendorService.badFile", "vendorService.cannotDecrypt", "vendorService.cannotDecrypt", "vendorService.cannotDecrypt", "vendorService.nothingPending"]);
  });

  it("refuses a reply signed by a certificate that is not an Apple MDM vendor certificate", async () => {
    const rogue = await startFakeMdmcert({ apiKey: API_KEY, vendor: fromRandomCa(vendorName()), chain: [] });
    try {
      await signing.saveServiceSettings({ baseUrl: rogue.url, email: "mdm@example.jp", apiKey: "" }, actor, ctx);
      await signing.requestServiceSigning(actor, ctx);
      expect(await code(signing.acceptServiceReply(Buffer.from(rogue.mails[0]!.body), actor, ctx))).toBe("vendorCert.notApple");
      expect((await prisma().vendorSigningService.findUniqueOrThrow({ where: { id: 1 } })).signedRequest).toBeNull();
    } finally {
      await rogue.close();
    }
  });

  it("says when the service cannot be reached", async () => {
    await signing.saveServiceSettings({ baseUrl: "http://127.0.0.1:9", email: "mdm@example.jp", apiKey: "" }, actor, ctx);
    expect(await code(signing.requestServiceSigning(actor, ctx))).toBe("vendorService.unreachable");
  });
});
