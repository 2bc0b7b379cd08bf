import { randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeResend, type FakeResend } from "../support/fake-resend";
import { disconnect, prisma } from "@/lib/db/client";
import { PrismaClient } from "@/lib/db/generated/client";
import { daysLeft, EXPIRED, expiringItems, runExpiryNotices } from "@/lib/expiry";
import { saveSetting } from "@/lib/settings";

const db = useOwnDatabase();

// A database of its own (tables are emptied between tests), a real HTTP fake of Resend, and
// a clock passed in as `now`.
let fake: FakeResend;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const KEY = "re_test_expiry";
const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
// 2027-01-10 09:00 in Tokyo, the portal's default time zone.
const NOT_AFTER = new Date("2027-01-10T00:00:00Z");
const before = (days: number, hours = 0) => new Date(NOT_AFTER.getTime() - days * DAY - hours * HOUR);

beforeAll(async () => {
  fake = await startFakeResend({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  const p = prisma();
  for (const t of [p.expiryNotice, p.mailMessage, p.auditEvent, p.setting, p.pushCertificate, p.adeToken, p.user] as const) {
    await (t as { deleteMany(): Promise<unknown> }).deleteMany();
  }
  fake.requests.length = 0;
  fake.sent.length = 0;
  process.env.RESEND_API_KEY = KEY;
  process.env.RESEND_BASE_URL = fake.url;
  await saveSetting("mail", { from: "Mamori <mamori@example.jp>" }, admin, ctx);
});
afterEach(() => {
  delete process.env.RESEND_API_KEY;
  delete process.env.RESEND_BASE_URL;
});

async function pushCert(opts: { notAfter?: Date; fingerprint?: string; status?: "ACTIVE" | "REPLACED" } = {}) {
  const fingerprint = opts.fingerprint ?? randomBytes(32).toString("hex");
  return prisma().pushCertificate.create({
    data: {
      status: opts.status ?? "ACTIVE",
      topic: "com.apple.mgmt.External.6f1b2c3d-0000-4000-8000-000000000001",
      subject: "UID=com.apple.mgmt.External.6f1b2c3d, CN=APSP:6f1b2c3d, C=US",
      issuer: "CN=Apple Application Integration 2 Certification Authority",
      serial: randomBytes(8).toString("hex"),
      notBefore: new Date((opts.notAfter ?? NOT_AFTER).getTime() - 365 * DAY),
      notAfter: opts.notAfter ?? NOT_AFTER,
      fingerprint,
      certPem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
      appleId: "mdm-admin@example.jp",
      uploadedByLabel: "admin@example.jp",
    },
  });
}

async function admins() {
  const u = (email: string, locale: string | null, extra: object = {}) =>
    prisma().user.create({ data: { email, displayName: email, role: "ADMIN", locale, ...extra } });
  await u("ja-admin@example.jp", "ja");
  await u("en-admin@example.jp", "en");
  await u("new-admin@example.jp", null);
  await u("gone-admin@example.jp", "ja", { disabled: true });
  await prisma().user.create({ data: { email: "staff@example.jp", displayName: "Staff", role: "END_USER", locale: "ja" } });
}

/** What went out in one run, as "recipients: subject". */
const subjects = () => fake.sent.map((m) => `${m.to.join(",")}: ${m.subject}`).sort();
const run = async (now: Date) => {
  fake.sent.length = 0;
  const out = await runExpiryNotices(now);
  return out.map((n) => n.threshold);
};

describe("daysLeft", () => {
  it("counts whole days, rounded down, negative once expired", () => {
    expect(daysLeft(NOT_AFTER, before(14))).toBe(14);
    expect(daysLeft(NOT_AFTER, before(13, 23))).toBe(13);
    expect(daysLeft(NOT_AFTER, before(0, 1))).toBe(0);
    expect(daysLeft(NOT_AFTER, NOT_AFTER)).toBe(0);
    expect(daysLeft(NOT_AFTER, new Date(NOT_AFTER.getTime() + 1))).toBe(-1);
    expect(daysLeft(NOT_AFTER, before(-3))).toBe(-3);
  });
});

describe("what expires", () => {
  it("lists the active push certificate and the ADE token, not replaced certificates", async () => {
    const active = await pushCert();
    await pushCert({ status: "REPLACED", notAfter: before(100) });
    await prisma().adeToken.create({
      data: { keySealed: "x", certPem: "x", consumerKey: "CK_1234", orgName: "Example Corp", accessTokenExpiry: new Date("2027-03-01T00:00:00Z") },
    });
    const items = await expiringItems(before(30));
    expect(items).toHaveLength(2);
    expect(items.find((i) => i.kind === "pushCertificate")).toEqual({
      kind: "pushCertificate", id: active.fingerprint, label: active.topic, notAfter: NOT_AFTER, daysLeft: 30, appleId: "mdm-admin@example.jp",
    });
    expect(items.find((i) => i.kind === "adeToken")).toMatchObject({ id: "CK_1234@2027-03-01T00:00:00.000Z", label: "Example Corp", daysLeft: 80 });
  });

  it("leaves out an ADE token without an expiry", async () => {
    await prisma().adeToken.create({ data: { keySealed: "x", certPem: "x" } });
    expect(await expiringItems(new Date())).toEqual([]);
  });
});

describe("push certificate notices", () => {
  it("mails once per threshold, each admin in their language, across repeated runs", async () => {
    await admins();
    const cert = await pushCert();
    expect(await run(before(61))).toEqual([]);
    expect(await run(before(60))).toEqual([60]);
    expect(subjects()).toEqual([
      "en-admin@example.jp: [Mamori] Apple push certificate expires in 60 days (2027-01-10)",
      "ja-admin@example.jp: [Mamori] Apple プッシュ証明書の有効期限まであと 60 日です（2027-01-10）",
      "new-admin@example.jp: [Mamori] Apple プッシュ証明書の有効期限まであと 60 日です（2027-01-10） / Apple push certificate expires in 60 days (2027-01-10)",
    ]);
    // Runs in between (every hour, after restarts) send nothing new.
    for (const d of [60, 59, 45, 31]) expect(await run(before(d, 1))).toEqual([]);
    expect(await run(before(30))).toEqual([30]);
    expect(await run(before(30))).toEqual([]);
    expect(await run(before(14))).toEqual([14]);
    expect(subjects()).toContain("ja-admin@example.jp: [Mamori] Apple プッシュ証明書の有効期限まであと 14 日です（2027-01-10）");
    expect(subjects()).toContain("en-admin@example.jp: [Mamori] Apple push certificate expires in 14 days (2027-01-10)");
    expect(await run(before(8))).toEqual([]);
    expect(await run(before(7))).toEqual([7]);
    expect(await run(before(1))).toEqual([1]);
    expect(await run(before(0, 12))).toEqual([]);
    expect(await run(new Date(NOT_AFTER.getTime() + HOUR))).toEqual([EXPIRED]);
    expect(subjects()).toEqual([
      "en-admin@example.jp: [Mamori] Apple push certificate has expired (2027-01-10)",
      "ja-admin@example.jp: [Mamori] Apple プッシュ証明書の有効期限が切れました（2027-01-10）",
      "new-admin@example.jp: [Mamori] Apple プッシュ証明書の有効期限が切れました（2027-01-10） / Apple push certificate has expired (2027-01-10)",
    ]);
    expect(await run(new Date(NOT_AFTER.getTime() + 3 * DAY))).toEqual([]);

    // Six stages, three language groups each; disabled admins and end users got nothing.
    const all = await prisma().mailMessage.findMany();
    expect(all).toHaveLength(18);
    expect(all.every((m) => m.status === "SENT" && m.from === "Mamori <mamori@example.jp>")).toBe(true);
    expect(all.flatMap((m) => m.to).sort()).toEqual(
      ["en-admin@example.jp", "ja-admin@example.jp", "new-admin@example.jp"].flatMap((a) => Array(6).fill(a)).sort(),
    );
    const notices = await prisma().expiryNotice.findMany({ where: { subjectId: cert.fingerprint } });
    expect(notices.map((n) => n.threshold).sort((a, b) => b - a)).toEqual([60, 30, 14, 7, 1, 0]);
    const events = await prisma().auditEvent.findMany({ where: { action: "expiry.notice" } });
    expect(events).toHaveLength(18);
    expect(events.every((e) => e.actorLabel === "system" && e.actorId === null && e.result === "SUCCESS" && e.targetId === cert.fingerprint)).toBe(true);
  });

  it("writes bodies that say what stops working and how to renew", async () => {
    await admins();
    await pushCert();
    await run(before(14));
    const ja = fake.sent.find((m) => m.to[0] === "ja-admin@example.jp")!;
    expect(ja.text).toContain("有効期限は 2027-01-10 09:00（Asia/Tokyo）です（あと 14 日）");
    expect(ja.text).toContain("プッシュ通知を送れなくなります");
    expect(ja.text).toContain("Apple Push Certificates Portal（https://identity.apple.com）");
    expect(ja.text).toContain("同じ Apple ID（mdm-admin@example.jp）");
    expect(ja.text).toContain("Mamori の「証明書」画面でアップロード");
    expect(ja.text).not.toMatch(/[A-Za-z]+ push certificate/);
    const en = fake.sent.find((m) => m.to[0] === "en-admin@example.jp")!;
    expect(en.text).toContain("expires on 2027-01-10 09:00 (Asia/Tokyo), in 14 days");
    expect(en.text).toContain("same Apple ID that created this certificate (mdm-admin@example.jp)");
    expect(en.text).toContain("upload it in Mamori under Certificates");
    const both = fake.sent.find((m) => m.to[0] === "new-admin@example.jp")!;
    expect(both.text).toContain("あと 14 日");
    expect(both.text).toContain("in 14 days");
    await run(new Date(NOT_AFTER.getTime() + HOUR));
    const expired = fake.sent.find((m) => m.to[0] === "en-admin@example.jp")!;
    expect(expired.text).toContain("expired on 2027-01-10 09:00 (Asia/Tokyo)");
    expect(expired.text).toContain("can no longer send push notifications");
  });

  it("sends only the most urgent notice for a certificate uploaded late, then carries on", async () => {
    await admins();
    const cert = await pushCert({ notAfter: new Date(NOT_AFTER) });
    expect(await run(before(10))).toEqual([14]);
    expect(fake.sent).toHaveLength(3);
    expect(subjects()).toContain("en-admin@example.jp: [Mamori] Apple push certificate expires in 10 days (2027-01-10)");
    const notices = await prisma().expiryNotice.findMany({ where: { subjectId: cert.fingerprint } });
    expect(notices.map((n) => n.threshold).sort((a, b) => b - a)).toEqual([60, 30, 14]);
    expect(await run(before(9))).toEqual([]);
    expect(await run(before(7))).toEqual([7]);
  });

  it("sends just the expired notice for a certificate that is already expired", async () => {
    await admins();
    await pushCert();
    expect(await run(new Date(NOT_AFTER.getTime() + 2 * DAY))).toEqual([EXPIRED]);
    expect(fake.sent).toHaveLength(3);
    expect(await prisma().expiryNotice.count()).toBe(6);
  });

  it("starts a new series for a renewed certificate", async () => {
    await admins();
    const old = await pushCert();
    await run(before(30));
    await run(before(14));
    // Renewed: the old one is replaced, the new one (new fingerprint) runs a year longer.
    await prisma().pushCertificate.update({ where: { id: old.id }, data: { status: "REPLACED", replacedAt: before(13) } });
    const renewedNotAfter = new Date(NOT_AFTER.getTime() + 365 * DAY);
    const renewed = await pushCert({ notAfter: renewedNotAfter });
    expect(await run(before(13))).toEqual([]);
    expect(await run(new Date(renewedNotAfter.getTime() - 60 * DAY))).toEqual([60]);
    expect(subjects()).toContain("en-admin@example.jp: [Mamori] Apple push certificate expires in 60 days (2028-01-10)");
    expect(await run(new Date(renewedNotAfter.getTime() - 14 * DAY))).toEqual([14]);
    const byCert = async (fp: string) => (await prisma().expiryNotice.findMany({ where: { subjectId: fp } })).map((n) => n.threshold).sort((a, b) => b - a);
    expect(await byCert(old.fingerprint)).toEqual([60, 30, 14]);
    expect(await byCert(renewed.fingerprint)).toEqual([60, 30, 14]);
  });

  it("respects custom thresholds", async () => {
    await admins();
    await saveSetting("notifications", { recipients: [], thresholds: [10, 45] }, admin, ctx);
    await pushCert();
    expect(await run(before(60))).toEqual([]);
    expect(await run(before(50))).toEqual([]);
    expect(await run(before(45))).toEqual([45]);
    expect(await run(before(30))).toEqual([]);
    expect(await run(before(14))).toEqual([]);
    expect(await run(before(10))).toEqual([10]);
    expect(await run(before(1))).toEqual([]);
    expect(await run(new Date(NOT_AFTER.getTime() + HOUR))).toEqual([EXPIRED]);
  });

  it("sends one bilingual mail to the configured recipients instead of the admins", async () => {
    await admins();
    await saveSetting("notifications", { recipients: ["it-team@example.jp", "cio@example.jp"], thresholds: [30] }, admin, ctx);
    await pushCert();
    expect(await run(before(30))).toEqual([30]);
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({
      from: "Mamori <mamori@example.jp>",
      to: ["it-team@example.jp", "cio@example.jp"],
      subject: "[Mamori] Apple プッシュ証明書の有効期限まであと 30 日です（2027-01-10） / Apple push certificate expires in 30 days (2027-01-10)",
    });
    expect(fake.sent[0]!.text).toMatch(/あと 30 日[\s\S]*-{40}[\s\S]*in 30 days/);
  });

  it("keeps mails in the outbox without a Resend key, once each", async () => {
    delete process.env.RESEND_API_KEY;
    await admins();
    await pushCert();
    const out = await runExpiryNotices(before(7));
    expect(out.flatMap((n) => n.mails.map((m) => m.status))).toEqual(["OUTBOX", "OUTBOX", "OUTBOX"]);
    expect(await runExpiryNotices(before(7))).toEqual([]);
    expect(fake.requests).toHaveLength(0);
    expect(await prisma().mailMessage.count({ where: { status: "OUTBOX" } })).toBe(3);
  });

  it("tries again on the next run when the mail could not be sent", async () => {
    await saveSetting("notifications", { recipients: ["it-team@example.jp"], thresholds: [30] }, admin, ctx);
    await pushCert();
    fake.failNext();
    const first = await runExpiryNotices(before(30));
    expect(first[0]!.mails.map((m) => m.status)).toEqual(["FAILED"]);
    expect(await prisma().expiryNotice.count({ where: { threshold: 30 } })).toBe(0);
    const second = await runExpiryNotices(before(29));
    expect(second[0]!.mails.map((m) => m.status)).toEqual(["SENT"]);
    expect(await runExpiryNotices(before(28))).toEqual([]);
    const events = await prisma().auditEvent.findMany({ where: { action: "expiry.notice" }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.result)).toEqual(["FAILURE", "SUCCESS"]);
  });

  it("claims nothing while nobody can receive the mail", async () => {
    await pushCert();
    expect(await runExpiryNotices(before(14))).toEqual([]);
    expect(await prisma().expiryNotice.count()).toBe(0);
    await admins();
    expect(await run(before(13))).toEqual([14]);
  });
});

describe("ADE token notices", () => {
  it("mails before the token expires and once it has, and a new token starts over", async () => {
    await saveSetting("notifications", { recipients: ["it-team@example.jp"], thresholds: [30, 7] }, admin, ctx);
    const expiry = new Date("2027-06-01T03:00:00Z");
    await prisma().adeToken.create({ data: { keySealed: "x", certPem: "x", consumerKey: "CK_1", orgName: "Example Corp", accessTokenExpiry: expiry } });
    expect(await run(new Date(expiry.getTime() - 30 * DAY))).toEqual([30]);
    expect(fake.sent[0]!.subject).toBe(
      "[Mamori] 自動デバイス登録（ADE）サーバートークンの有効期限まであと 30 日です（2027-06-01） / Automated Device Enrollment server token expires in 30 days (2027-06-01)",
    );
    expect(fake.sent[0]!.text).toContain("Apple Business Manager（https://business.apple.com）");
    expect(await run(new Date(expiry.getTime() + DAY))).toEqual([EXPIRED]);
    expect(fake.sent[0]!.subject).toMatch(/有効期限が切れました（2027-06-01） \/ Automated Device Enrollment server token has expired/);
    const renewedExpiry = new Date("2028-06-01T03:00:00Z");
    await prisma().adeToken.update({ where: { id: 1 }, data: { accessTokenExpiry: renewedExpiry } });
    expect(await run(new Date(renewedExpiry.getTime() - 7 * DAY))).toEqual([7]);
  });
});

describe("several instances at once", () => {
  it("sends every mail exactly once when five runs race", async () => {
    await admins();
    await pushCert();
    await prisma().adeToken.create({ data: { keySealed: "x", certPem: "x", consumerKey: "CK_2", accessTokenExpiry: before(-20) } });
    // Separate clients (connections) on PostgreSQL, as separate instances would have. PGlite
    // serves one connection at a time, so there the five runs share the one client.
    const clients = process.env.TEST_DATABASE_URL
      ? Array.from({ length: 5 }, () => new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 3 }) }))
      : [];
    try {
      const race = async (now: Date) => {
        fake.sent.length = 0;
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) => runExpiryNotices(now, clients[i] ?? prisma())),
        );
        return results.flat().map((n) => `${n.item.kind}:${n.threshold}`).sort();
      };
      // Push certificate 14 days left, ADE token 34; three admin language groups each.
      expect(await race(before(14))).toEqual(["adeToken:60", "pushCertificate:14"]);
      expect(fake.sent).toHaveLength(6);
      expect(new Set(fake.sent.map((m) => `${m.to[0]} ${m.subject}`)).size).toBe(6);
      expect(await race(before(14))).toEqual([]);
      expect(fake.sent).toHaveLength(0);
      expect(await race(before(7))).toEqual(["adeToken:30", "pushCertificate:7"]);
      expect(fake.sent).toHaveLength(6);
      expect(new Set(fake.sent.map((m) => `${m.to[0]} ${m.subject}`)).size).toBe(6);
      expect(await prisma().mailMessage.count()).toBe(12);
      expect(await prisma().auditEvent.count({ where: { action: "expiry.notice" } })).toBe(12);
    } finally {
      await Promise.all(clients.map((c) => c.$disconnect()));
    }
  });
});
