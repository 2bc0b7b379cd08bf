import { openMail } from "@/lib/mail";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa, type TestCa } from "../support/test-ca";
import { serverIdentity, signPushCsr, toPkcs12 } from "../support/push-fixtures";
import { startFakeApns, type FakeApns } from "../support/fake-apns";
import { prisma } from "@/lib/db/client";
import * as svc from "@/lib/push-certificates/service";
import { countTopicMismatches, pushDevice } from "@/lib/apns/push-service";
import { finishedJob, startTestJobs } from "../support/jobs";
import { closeApnsClients } from "@/lib/apns/provider";
import { parseVendorRequest } from "@/lib/pki/push-csr";
import { saveSetting } from "@/lib/settings";
import { createTestAppleChain } from "../support/apple-test-chain";

useOwnDatabase();

let ca: TestCa;
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: "vitest" };
const uuid = randomUUID();
const topic = `com.apple.mgmt.External.${uuid}`;

beforeAll(async () => {
  ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
});
afterAll(async () => {
  await closeApnsClients();
});

async function freshCsr() {
  await svc.generateRequest(actor, ctx);
  return (await svc.pendingCsr())!;
}
const upload = (pem: string, appleId = "mdm@example.jp", notes = "") => svc.uploadPushCertificate({ file: Buffer.from(pem), appleId, notes }, actor, ctx);
const code = (p: Promise<unknown>) => p.then(() => "ok", (e) => e.code ?? String(e));
const activeCount = () => prisma().pushCertificate.count({ where: { status: "ACTIVE" } });

describe("push certificate lifecycle", () => {
  let first: string;

  it("keeps one pending request, key sealed at rest", async () => {
    const a = await freshCsr();
    const b = await freshCsr();
    expect(a).not.toBe(b);
    const rows = await prisma().pushCertificateRequest.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.keySealed).toMatch(/^v1\./);
    expect(rows[0]!.keySealed).not.toContain("PRIVATE KEY");
  });

  it("refuses bad files, each with its own reason, and changes nothing", async () => {
    const csr = (await svc.pendingCsr())!;
    const other = signPushCsr(ca, (await import("@/lib/pki/push-csr")).generatePushRequest().csrPem, { uuid });
    expect(await code(upload("hello"))).toBe("pushCert.notCertificate");
    const notPush = ca.issue({ subject: [{ name: "commonName", value: "www.example.jp" }] });
    expect(await code(upload(notPush.certPem))).toBe("pushCert.notPushCertificate");
    expect(await code(upload(other.certPem))).toBe("pushCert.keyMismatch");
    const expired = signPushCsr(ca, csr, { uuid, days: -1, notBefore: new Date(Date.now() - 400 * 86_400_000) });
    expect(await code(upload(expired.certPem))).toBe("pushCert.expired");
    expect(await code(upload(signPushCsr(ca, csr, { uuid }).certPem, "  "))).toBe("pushCert.appleIdRequired");
    expect(await code(upload("x".repeat(70_000)))).toBe("pushCert.tooLarge");
    expect(await prisma().pushCertificate.count()).toBe(0);
    expect(await prisma().pushCertificateRequest.count()).toBe(1);
    const failures = await prisma().auditEvent.findMany({ where: { action: "pushCert.upload", result: "FAILURE" } });
    expect(failures.map((f) => (f.details as { code: string }).code)).toEqual([
      "pushCert.notCertificate", "pushCert.notPushCertificate", "pushCert.keyMismatch", "pushCert.expired", "pushCert.appleIdRequired", "pushCert.tooLarge",
    ]);
  });

  it("activates the certificate made from the pending request", async () => {
    const cert = signPushCsr(ca, (await svc.pendingCsr())!, { uuid, days: 200 });
    // NULs (found by tests/fuzz) are dropped: PostgreSQL text cannot hold one.
    const r = await upload(cert.certPem, "mdm@example.jp\u0000", "Apple ID password is in the safe\u0000");
    expect(r.isRenewal).toBe(false);
    first = r.certificate.id;
    const state = await svc.getPushState();
    expect(state.active).toMatchObject({ topic, appleId: "mdm@example.jp", notes: "Apple ID password is in the safe", uploadedByLabel: actor.label });
    expect(state.request).toBeNull();
    expect(await code(upload(cert.certPem))).toBe("pushCert.duplicate");
  });

  it("refuses another topic on renewal, and a renewal that is not later", async () => {
    const csr = await freshCsr();
    expect(await code(upload(signPushCsr(ca, csr, { days: 400 }).certPem))).toBe("pushCert.topicChanged");
    expect(await code(upload(signPushCsr(ca, csr, { uuid, days: 100 }).certPem))).toBe("pushCert.notLater");
    expect(await activeCount()).toBe(1);
  });

  it("renews with the same topic: the old one becomes history", async () => {
    const csr = (await svc.pendingCsr())!;
    const r = await upload(signPushCsr(ca, csr, { uuid, days: 365 }).certPem);
    expect(r.isRenewal).toBe(true);
    const state = await svc.getPushState();
    expect(state.active!.id).toBe(r.certificate.id);
    expect(state.history.map((h) => [h.id, h.status])).toEqual([[first, "REPLACED"]]);
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "pushCert.upload", result: "SUCCESS" }, orderBy: { id: "desc" } });
    expect(event.details).toMatchObject({ renewal: true });
  });

  it("edits notes and deletes only with the typed word, keeping the record and notes", async () => {
    const { active } = await svc.getPushState();
    await svc.updateNotes(active!.id, "renewed by\u0000 Sato", actor, ctx);
    expect(await code(svc.deletePushCertificate(active!.id, "yes", actor, ctx))).toBe("pushCert.confirmDelete");
    expect(await activeCount()).toBe(1);
    await svc.deletePushCertificate(active!.id, "delete", actor, ctx);
    const row = await prisma().pushCertificate.findUniqueOrThrow({ where: { id: active!.id } });
    expect(row).toMatchObject({ status: "DELETED", keySealed: null, notes: "renewed by Sato", deletedByLabel: actor.label });
    expect(await svc.activeIdentity()).toBeNull();
  });
});

describe("vendor-signed request", () => {
  it("signs the pending CSR with the uploaded vendor identity; a wrong password is refused", async () => {
    const csr = await freshCsr();
    // A chain shaped like Apple's; its root is trusted only through the test-only setting.
    const apple = createTestAppleChain();
    const dir = mkdtempSync(path.join(tmpdir(), "apple-roots-"));
    writeFileSync(path.join(dir, "roots.pem"), apple.root.certPem);
    process.env.MAMORI_APPLE_TRUST_ROOTS_FILE = path.join(dir, "roots.pem");
    const vendor = apple.issue();
    const p12 = toPkcs12(vendor, "vendor-pass", [apple.wwdr.certPem, apple.root.certPem]);
    expect(await code(svc.uploadVendorCertificate(p12, "nope", actor, ctx))).toBe("pkcs12.wrongPassword");
    expect(await svc.vendorSignedRequest()).toBeNull();
    await svc.uploadVendorCertificate(p12, "vendor-pass", actor, ctx);
    const parsed = parseVendorRequest((await svc.vendorSignedRequest())!);
    expect(parsed.csrPem.replace(/\r/g, "").trim()).toBe(csr.replace(/\r/g, "").trim());
    expect(parsed.chainPems).toHaveLength(3);
    const row = await prisma().vendorCertificate.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.keySealed).not.toContain("PRIVATE KEY");
    delete process.env.MAMORI_APPLE_TRUST_ROOTS_FILE;
  });
});

describe("push delivery", () => {
  let apns: FakeApns;
  const tokens = { a: "aa".repeat(32), b: "bb".repeat(32), c: "cc".repeat(32), d: "dd".repeat(32) };

  beforeAll(async () => {
    const server = serverIdentity(ca);
    apns = await startFakeApns({ caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem, expectedTopic: topic });
    const dir = mkdtempSync(path.join(tmpdir(), "apns-ca-"));
    writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
    process.env.APNS_URL = apns.url;
    process.env.APNS_CA_FILE = path.join(dir, "ca.pem");
    // A fresh active certificate for the topic the devices enrolled with.
    await upload(signPushCsr(ca, await freshCsr(), { uuid, days: 300 }).certPem);
    await prisma().device.createMany({
      data: [
        { udid: "A", platform: "IOS", status: "ACTIVE", topic, pushToken: tokens.a, pushMagic: "magic-a" },
        { udid: "B", platform: "IOS", status: "ACTIVE", topic, pushToken: tokens.b, pushMagic: "magic-b" },
        { udid: "C", platform: "MACOS", status: "ACTIVE", topic: "com.apple.mgmt.External.other", pushToken: tokens.c, pushMagic: "magic-c" },
        { udid: "D", platform: "IOS", status: "RETIRED", topic, pushToken: tokens.d, pushMagic: "magic-d" },
      ],
    });
  });
  afterAll(() => apns.close());

  it("after a renewal, a push-devices job pushes every device of the topic, records the result, and marks a bad token", async () => {
    apns.respond(tokens.b, { status: 400, reason: "BadDeviceToken" });
    await startTestJobs();
    // What the upload action starts on a renewal: no device list, so every device of the topic.
    const started = await svc.startRenewalPush(topic, actor, ctx);
    expect(await prisma().auditEvent.findFirstOrThrow({ where: { action: "pushCert.push_all" } })).toMatchObject({ targetLabel: topic, details: { jobId: started.id } });
    const row = await finishedJob(started);
    expect(row).toMatchObject({ status: "DONE", total: 2, done: 2, failed: 1, outcome: { delivered: 1, failed: 1, skipped: 0 } });
    expect(apns.requests.map((q) => q.path).sort()).toEqual([`/3/device/${tokens.a}`, `/3/device/${tokens.b}`]);
    const a = apns.requests.find((q) => q.path.endsWith(tokens.a))!;
    expect(JSON.parse(a.body)).toEqual({ mdm: "magic-a" });
    expect(a.headers["apns-topic"]).toBe(topic);
    const devices = await prisma().device.findMany({ orderBy: { udid: "asc" } });
    expect(devices[0]).toMatchObject({ lastPushResult: "delivered", tokenInvalidAt: null });
    expect(devices[0]!.lastPushAt).toBeInstanceOf(Date);
    expect(devices[1]!.tokenInvalidAt).toBeInstanceOf(Date);
    expect(devices[1]!.lastPushResult).toBe("invalidToken:BadDeviceToken");
    expect(devices[2]!.lastPushAt).toBeNull();
    expect(await countTopicMismatches(topic)).toBe(1);
  });

  it("skips a device of another topic and one with an invalid token", async () => {
    const [b, c] = await Promise.all(["B", "C"].map((udid) => prisma().device.findUniqueOrThrow({ where: { udid } })));
    expect(await pushDevice(b!.id)).toEqual({ deviceId: b!.id, skipped: "tokenInvalid" });
    expect(await pushDevice(c!.id)).toEqual({ deviceId: c!.id, skipped: "topicMismatch" });
  });

  it("stops using a certificate Apple refuses and records why", async () => {
    await saveSetting("notifications", { recipients: ["it-alerts@example.jp"], thresholds: [30] }, actor, ctx);
    apns.respond(tokens.a, { status: 403, reason: "BadCertificate" });
    const a = await prisma().device.findUniqueOrThrow({ where: { udid: "A" } });
    expect(await pushDevice(a.id)).toMatchObject({ outcome: "badCertificate" });
    const active = await prisma().pushCertificate.findFirstOrThrow({ where: { status: "ACTIVE" } });
    expect(active.unusableReason).toBe("BadCertificate");
    expect(await svc.activeIdentity()).toBeNull();
    expect(await pushDevice(a.id)).toEqual({ deviceId: a.id, skipped: "noCertificate" });
    expect(await prisma().auditEvent.count({ where: { action: "pushCert.unusable" } })).toBe(1);
    // The admins hear about it once (no admin users here: the configured recipients).
    const mails = (await prisma().mailMessage.findMany({ where: { subject: { contains: "refused the push certificate" } } })).map(openMail);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(["it-alerts@example.jp"]);
    expect(mails[0]!.text).toContain(topic);
    expect(await pushDevice(a.id)).toEqual({ deviceId: a.id, skipped: "noCertificate" });
    expect(await prisma().mailMessage.count()).toBe(1);
  });
});
