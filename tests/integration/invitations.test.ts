import { openMail } from "@/lib/mail";
import { generateKeyPairSync } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeResend } from "../support/fake-resend";
import { prisma } from "@/lib/db/client";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { saveSetting } from "@/lib/settings";
import { inviteUsers, invitationState, openInvitation, runInvitationReminders, startInvitations, verifyPin } from "@/lib/invitations/service";
import { enrolledJobDone, finishedJob, startTestJobs } from "../support/jobs";
import { createQrToken, enrollmentForTicket, qrTokenProblem, readGoTicket, redeemQrToken, setPasswordWithTicket } from "@/lib/invitations/tickets";
import { createEnrollment, profileLinkProblem, redeemProfileToken, consumeChallenge } from "@/lib/enrollment/service";
import { deviceCa } from "@/lib/pki/device-ca";
import { issueCertificate } from "@/lib/pki/ca";
import { signData } from "@/lib/pki/cms";
import { buildPlist } from "@/lib/mdm/plist";
import { identifyDevice } from "@/lib/mdm/identity";
import { handleCheckin } from "@/lib/mdm/service";
import { enqueueCommand } from "@/lib/mdm/enqueue";

useOwnDatabase();

const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.10", userAgent: "vitest" };
const BASE = "https://mdm.example.jp";
const HOUR = 3_600_000;

async function newUser(email: string, opts: { password?: string; locale?: string } = {}) {
  return prisma().user.create({ data: { email, displayName: "Hanako Sato", role: "END_USER", locale: opts.locale, passwordHash: opts.password ? await hashPassword(opts.password) : null } });
}

/** The link and PIN as the user reads them in the outbox mail. */
async function mailFor(email: string) {
  const m = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { to: { has: email } }, orderBy: { createdAt: "desc" } }));
  const token = /\/go\?invite=([\w-]+)/.exec(m.text)?.[1];
  const pin = /(?:PIN: |PIN: )(\d{6})/.exec(m.text)?.[1] ?? null;
  return { mail: m, token: token!, pin };
}

const events = (action: string) => prisma().auditEvent.findMany({ where: { action }, orderBy: { id: "asc" } });

beforeEach(async () => {
  await prisma().rateLimit.deleteMany();
});

describe("invitations", () => {
  it("for many users go out as a send-invitations job: checked first, then one mail each, counted", async () => {
    await startTestJobs();
    const users = await Promise.all(Array.from({ length: 12 }, (_, i) => newUser(`many-${i}@example.jp`)));
    const disabled = await prisma().user.create({ data: { email: "many-off@example.jp", displayName: "Off", role: "END_USER", disabled: true } });
    // Refused before anything is queued.
    await expect(startInvitations([users[0]!.id, disabled.id], { pin: true, baseUrl: BASE }, admin, ctx)).rejects.toMatchObject({ code: "invitations.userDisabled" });
    const job = await startInvitations(users.map((u) => u.id), { pin: true, baseUrl: BASE }, admin, ctx);
    expect(job).toMatchObject({ kind: "send-invitations", status: "QUEUED", total: 12, done: 0 });
    expect(await finishedJob(job)).toMatchObject({ status: "DONE", total: 12, done: 12, failed: 0, outcome: { sent: 12 } });
    for (const u of users) expect((await mailFor(u.email)).pin).toMatch(/^\d{6}$/);
    const sent = await prisma().auditEvent.count({ where: { action: "invitation.send", targetId: { in: users.map((u) => u.id) }, actorLabel: admin.label, ip: ctx.ip } });
    expect(sent).toBe(12);
  });

  it("mails the link and a PIN in the user's language; opening it is recorded once", async () => {
    const ja = await newUser("ja@example.jp");
    const en = await newUser("en@example.jp", { locale: "en" });
    expect(await inviteUsers([ja.id, en.id], { pin: true, baseUrl: BASE }, admin, ctx)).toBe(2);
    const a = await mailFor(ja.email);
    expect(a.mail.subject).toContain("デバイス登録");
    expect(a.mail.status).toBe("OUTBOX");
    expect(a.mail.html).toContain(`${BASE}/go?invite=`);
    expect(a.pin).toMatch(/^\d{6}$/);
    const b = await mailFor(en.email);
    expect(b.mail.subject).toBe("[Mamori] Enroll your device");
    expect(b.mail.text).toContain("iPhone / iPad");
    // Only hashes are stored.
    const inv = await prisma().invitation.findFirstOrThrow({ where: { userId: ja.id } });
    expect(inv.tokenHash).not.toContain(a.token);
    expect(inv.pinHash).not.toContain(a.pin!);
    expect(invitationState(inv)).toBe("sent");

    expect(await openInvitation(a.token, ctx)).toMatchObject({ email: ja.email, state: "sent", hasPin: true });
    await openInvitation(a.token, ctx);
    expect(invitationState(await prisma().invitation.findFirstOrThrow({ where: { userId: ja.id } }))).toBe("opened");
    expect((await events("invitation.open")).filter((e) => e.targetId === ja.id)).toHaveLength(1);
    expect(await openInvitation("not-a-token", ctx)).toBeNull();
  });

  it("a re-send revokes the previous invitation and its PIN", async () => {
    const u = await newUser("resend@example.jp");
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const first = await mailFor(u.email);
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const second = await mailFor(u.email);
    expect(second.token).not.toBe(first.token);
    const rows = await prisma().invitation.findMany({ where: { userId: u.id }, orderBy: { createdAt: "asc" } });
    expect(rows.map((r) => invitationState(r))).toEqual(["revoked", "sent"]);
    expect((await events("invitation.resend")).some((e) => e.targetId === u.id)).toBe(true);
    if (first.pin !== second.pin) await expect(verifyPin(u.email, first.pin!, ctx)).rejects.toMatchObject({ code: "invitations.pinWrongLeft" });
    await expect(verifyPin(u.email, second.pin!, ctx)).resolves.toMatchObject({ userId: u.id, needsPassword: true });
  });

  it("a right PIN works once; a reused PIN is refused", async () => {
    const u = await newUser("once@example.jp", { password: "already-has-one-1" });
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const { pin } = await mailFor(u.email);
    expect(await verifyPin(" ONCE@example.jp ", pin!, ctx)).toEqual({ userId: u.id, needsPassword: false });
    await expect(verifyPin(u.email, pin!, ctx)).rejects.toMatchObject({ code: "invitations.pinUsed" });
    const audits = (await events("invitation.pin")).filter((e) => e.targetId === u.id);
    expect(audits.map((e) => e.result)).toEqual(["SUCCESS", "FAILURE"]);
  });

  it("an expired PIN is refused and changes nothing", async () => {
    const u = await newUser("expired@example.jp");
    const sentAt = new Date(Date.now() - 80 * HOUR);
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx, sentAt);
    const { pin, token } = await mailFor(u.email);
    await expect(verifyPin(u.email, pin!, ctx)).rejects.toMatchObject({ code: "invitations.pinExpired" });
    // The link itself outlives the PIN (14 days); past that it reads as expired and records no open.
    expect(await openInvitation(token, ctx)).toMatchObject({ state: "sent" });
    await prisma().invitation.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1000), openedAt: null } });
    expect(await openInvitation(token, ctx)).toMatchObject({ state: "expired" });
    expect((await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } })).openedAt).toBeNull();
    expect(await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } })).toMatchObject({ pinAttempts: 0, pinUsedAt: null });
  });

  it("five wrong PINs lock the invitation, even for the right PIN afterwards", async () => {
    const u = await newUser("locked@example.jp");
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const { pin } = await mailFor(u.email);
    const wrong = pin === "000000" ? "111111" : "000000";
    for (let i = 1; i <= 4; i++) await expect(verifyPin(u.email, wrong, ctx)).rejects.toMatchObject({ code: "invitations.pinWrongLeft", params: { left: 5 - i } });
    await expect(verifyPin(u.email, wrong, ctx)).rejects.toMatchObject({ code: "invitations.pinLocked" });
    await expect(verifyPin(u.email, pin!, ctx)).rejects.toMatchObject({ code: "invitations.pinLocked" });
    const inv = await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } });
    expect(inv.pinAttempts).toBe(5);
    expect(inv.pinLockedAt).not.toBeNull();
    expect(await events("invitation.pin_locked")).toHaveLength(1);
  });

  it("parallel wrong guesses cannot exceed five attempts", async () => {
    const u = await newUser("parallel@example.jp");
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const { pin } = await mailFor(u.email);
    const wrong = pin === "222222" ? "333333" : "222222";
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => verifyPin(u.email, wrong, ctx)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect((await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } })).pinAttempts).toBe(5);
    await expect(verifyPin(u.email, pin!, ctx)).rejects.toMatchObject({ code: "invitations.pinLocked" });
  });

  it("an unknown address or a user without an invitation gets the same refusal", async () => {
    await newUser("nopin@example.jp");
    await expect(verifyPin("nobody@example.jp", "123456", ctx)).rejects.toMatchObject({ code: "invitations.pinWrong" });
    await expect(verifyPin("nopin@example.jp", "123456", ctx)).rejects.toMatchObject({ code: "invitations.pinWrong" });
  });

  it("after a PIN a user sets a password and downloads a profile with the ticket", async () => {
    const u = await newUser("ticket@example.jp");
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const { pin } = await mailFor(u.email);
    const r = await verifyPin(u.email, pin!, ctx);
    const { issueTicket } = await import("@/lib/invitations/tickets");
    const go = await issueTicket(r.userId, "GO", { id: u.id, label: u.email }, { needsPassword: r.needsPassword });
    await expect(enrollmentForTicket(go.secret, "IOS", ctx)).rejects.toMatchObject({ code: "go.setPasswordFirst" });
    await expect(setPasswordWithTicket(go.secret, "short", ctx)).rejects.toMatchObject({ code: "password.tooShort" });
    await setPasswordWithTicket(go.secret, "a-good-long-passphrase", ctx);
    expect((await prisma().user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash).toMatch(/./);
    const e = await enrollmentForTicket(go.secret, "IOS", ctx);
    expect((await prisma().enrollment.findUniqueOrThrow({ where: { id: e.id } })).userId).toBe(u.id);
    await expect(enrollmentForTicket("forged", "IOS", ctx)).rejects.toMatchObject({ code: "go.ticketExpired" });
    expect(await readGoTicket(go.secret, new Date(Date.now() + 31 * 60_000))).toBeNull();
  });
});

describe("races", () => {
  it("two invitations sent at once for one user leave exactly one open", async () => {
    const u = await newUser("race-invite@example.jp");
    await Promise.all([inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx), inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx)]);
    const all = await prisma().invitation.findMany({ where: { userId: u.id } });
    expect(all).toHaveLength(2);
    expect(all.filter((i) => !i.revokedAt)).toHaveLength(1);
  });

  it("two passwords set at once with one ticket: exactly one wins, the other changes nothing", async () => {
    const u = await newUser("race-password@example.jp");
    const { issueTicket } = await import("@/lib/invitations/tickets");
    const go = await issueTicket(u.id, "GO", { id: u.id, label: u.email }, { needsPassword: true });
    const results = await Promise.allSettled([
      setPasswordWithTicket(go.secret, "first-long-passphrase", ctx),
      setPasswordWithTicket(go.secret, "second-long-passphrase", ctx),
    ]);
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "go.passwordAlreadySet" } });
    const hash = (await prisma().user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash;
    expect(await verifyPassword(won[0] === 0 ? "first-long-passphrase" : "second-long-passphrase", hash)).toBe(true);
    expect((await events("user.password_set")).filter((e) => e.targetId === u.id)).toHaveLength(1);
  });
});

describe("through Resend", () => {
  it("sends the invitation through the Resend API when a key is set; a refused send is recorded as such", async () => {
    const fake = await startFakeResend({ apiKey: "re_invite_key" });
    try {
      process.env.RESEND_API_KEY = "re_invite_key";
      process.env.RESEND_BASE_URL = fake.url;
      await saveSetting("mail", { from: "IT <it@example.jp>" }, admin, ctx);
      const u = await newUser("resend-api@example.jp", { locale: "en" });
      await inviteUsers([u.id], { pin: false, baseUrl: BASE }, admin, ctx);
      expect(fake.sent).toHaveLength(1);
      expect(fake.sent[0]).toMatchObject({ to: ["resend-api@example.jp"], from: "IT <it@example.jp>", subject: "[Mamori] Enroll your device" });
      expect(fake.sent[0]!.text).toMatch(/https:\/\/mdm\.example\.jp\/go\?invite=[\w-]+/);
      expect(fake.sent[0]!.text).toContain("Sign in with your email address and password.");
      expect(fake.sent[0]!.html).toContain("/go?invite=");
      expect((await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } })).sentAt).not.toBeNull();

      fake.failNext(500);
      await inviteUsers([u.id], { pin: false, baseUrl: BASE }, admin, ctx);
      const latest = await prisma().invitation.findFirstOrThrow({ where: { userId: u.id }, orderBy: { createdAt: "desc" } });
      expect(latest.sentAt).toBeNull();
      expect((await events("invitation.resend")).filter((e) => e.targetId === u.id).map((e) => e.result)).toEqual(["FAILURE"]);
    } finally {
      delete process.env.RESEND_API_KEY;
      delete process.env.RESEND_BASE_URL;
      await fake.close();
    }
  });
});

describe("QR codes", () => {
  it("a QR token works once and only before it expires", async () => {
    const u = await newUser("qr@example.jp", { password: "qr-user-password-1" });
    const qr = await createQrToken(u.id, admin, ctx);
    const go = await redeemQrToken(qr.secret, ctx);
    expect((await readGoTicket(go.secret))?.userId).toBe(u.id);
    await expect(redeemQrToken(qr.secret, ctx)).rejects.toMatchObject({ code: "go.qrUsed" });

    const old = await createQrToken(u.id, admin, ctx, new Date(Date.now() - 16 * 60_000));
    await expect(redeemQrToken(old.secret, ctx)).rejects.toMatchObject({ code: "go.qrExpired" });
    await expect(redeemQrToken("made-up", ctx)).rejects.toMatchObject({ code: "go.qrInvalid" });
    const scans = await events("enrollment.qr_scan");
    expect(scans.map((e) => e.result)).toEqual(["SUCCESS", "FAILURE", "FAILURE", "FAILURE"]);
  });

  it("looking at a QR or profile link (what GET does) spends and audits nothing; using it does", async () => {
    const u = await newUser("peek@example.jp", { password: "peek-user-password-1" });
    const qr = await createQrToken(u.id, admin, ctx);
    const scans = (await events("enrollment.qr_scan")).length;
    expect(await qrTokenProblem(qr.secret)).toBeNull();
    expect(await qrTokenProblem(qr.secret)).toBeNull();
    expect(await events("enrollment.qr_scan")).toHaveLength(scans);
    await redeemQrToken(qr.secret, ctx);
    expect(await qrTokenProblem(qr.secret)).toBe("go.qrUsed");
    expect(await qrTokenProblem("made-up")).toBe("go.qrInvalid");
    expect(await qrTokenProblem(qr.secret.slice(0, -1))).toBe("go.qrInvalid");

    const e = await createEnrollment({ userId: u.id, platform: "IOS" }, admin, ctx);
    expect(await profileLinkProblem(e.profileToken)).toBeNull();
    expect(await profileLinkProblem(e.profileToken)).toBeNull();
    expect((await prisma().enrollment.findUniqueOrThrow({ where: { id: e.id } })).profileUsedAt).toBeNull();
    await redeemProfileToken(e.profileToken);
    expect(await profileLinkProblem(e.profileToken)).toBe("enrollment.linkUsed");
    expect(await profileLinkProblem("made-up")).toBe("enrollment.linkInvalid");
    const old = await createEnrollment({ userId: u.id, platform: "IOS" }, admin, ctx, new Date(Date.now() - 30 * 86_400_000));
    expect(await profileLinkProblem(old.profileToken)).toBe("enrollment.linkInvalid");
  });

  it("two scans racing: one wins", async () => {
    const u = await newUser("qr-race@example.jp", { password: "qr-user-password-2" });
    const qr = await createQrToken(u.id, admin, ctx);
    const results = await Promise.allSettled([redeemQrToken(qr.secret, ctx), redeemQrToken(qr.secret, ctx), redeemQrToken(qr.secret, ctx)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});

describe("reminders", () => {
  it("mail each due invitation once, even with concurrent runs, until enrolled or expired", async () => {
    await prisma().invitation.deleteMany();
    await saveSetting("invitations", { validityDays: 14, pinByDefault: false, pinValidityHours: 72, remindersEnabled: true, reminderIntervalDays: 2 }, admin, ctx);
    const users = await Promise.all(["r1", "r2", "r3"].map((n) => newUser(`${n}@example.jp`)));
    const start = new Date(Date.now() - 3 * 86_400_000);
    await inviteUsers(users.map((u) => u.id), { baseUrl: BASE }, admin, ctx, start);
    const before = await prisma().mailMessage.count();
    const now = new Date();
    const counts = await Promise.all([runInvitationReminders(BASE, now), runInvitationReminders(BASE, now), runInvitationReminders(BASE, now)]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await prisma().mailMessage.count()).toBe(before + 3);
    const reminder = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { to: { has: "r1@example.jp" } }, orderBy: { createdAt: "desc" } }));
    expect(reminder.subject).toContain("まだ完了していません");
    expect(reminder.text).toContain(`${BASE}/go`);
    // Not due again within the interval.
    expect(await runInvitationReminders(BASE, new Date(now.getTime() + 86_400_000))).toBe(0);
    // Enrolled users get no more; the rest get the next one.
    const { markInvitationsEnrolled } = await import("@/lib/invitations/service");
    await markInvitationsEnrolled(users[0]!.id);
    expect(await runInvitationReminders(BASE, new Date(now.getTime() + 2 * 86_400_000 + 1000))).toBe(2);
    // After expiry, none.
    expect(await runInvitationReminders(BASE, new Date(start.getTime() + 15 * 86_400_000))).toBe(0);
    expect(await events("invitation.remind")).toHaveLength(5);
  });

  it("link to the address the invitation used when no public URL is set; never to a guessed localhost", async () => {
    await prisma().invitation.deleteMany();
    await saveSetting("invitations", { validityDays: 14, pinByDefault: false, pinValidityHours: 72, remindersEnabled: true, reminderIntervalDays: 2 }, admin, ctx);
    const [recorded, legacy, local] = await Promise.all(["rb-recorded", "rb-legacy", "rb-local"].map((n) => newUser(`${n}@example.jp`)));
    const start = new Date(Date.now() - 3 * 86_400_000);
    await inviteUsers([recorded!.id, legacy!.id], { baseUrl: BASE }, admin, ctx, start);
    // Sent before invitations kept their address: nothing to link to without a public URL.
    await prisma().invitation.updateMany({ where: { userId: legacy!.id }, data: { baseUrl: null } });
    // An admin on http://localhost in production: that address is not kept for mails.
    const env = process.env.NODE_ENV;
    (process.env as Record<string, string>).NODE_ENV = "production";
    try {
      await inviteUsers([local!.id], { baseUrl: "http://localhost:3000" }, admin, ctx, start);
    } finally {
      (process.env as Record<string, string | undefined>).NODE_ENV = env;
    }
    expect((await prisma().invitation.findFirstOrThrow({ where: { userId: local!.id } })).baseUrl).toBeNull();

    const now = new Date();
    expect(await runInvitationReminders(null, now)).toBe(1);
    const mail = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { to: { has: recorded!.email } }, orderBy: { createdAt: "desc" } }));
    expect(mail.text).toContain(`${BASE}/go?email=`);
    expect(await prisma().mailMessage.count({ where: { to: { has: local!.email } } })).toBe(1); // the invitation only
    // The other two wait, unclaimed, and the run says why.
    const waiting = await prisma().invitation.findMany({ where: { userId: { in: [legacy!.id, local!.id] } } });
    expect(waiting.map((i) => i.lastReminderAt)).toEqual([null, null]);
    const warning = (await events("invitation.remind")).at(-1)!;
    expect(warning).toMatchObject({ result: "FAILURE", details: { reason: "noPublicUrl", waiting: 2 } });
    // Once a public URL is set, they go out with it.
    expect(await runInvitationReminders("https://mdm2.example.jp", now)).toBe(2);
    const later = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { to: { has: legacy!.email } }, orderBy: { createdAt: "desc" } }));
    expect(later.text).toContain("https://mdm2.example.jp/go?email=");
  });

  it("run hourly as the invitation-reminders job", async () => {
    const { definedJobs } = await import("@/lib/jobs/queue");
    await import("@/lib/jobs/handlers");
    expect(definedJobs().get("invitation-reminders")).toMatchObject({ cron: "40 * * * *" });
  });

  it("switched off: none", async () => {
    await saveSetting("invitations", { validityDays: 14, pinByDefault: false, pinValidityHours: 72, remindersEnabled: false, reminderIntervalDays: 1 }, admin, ctx);
    expect(await runInvitationReminders(BASE, new Date(Date.now() + 5 * 86_400_000))).toBe(0);
  });
});

const TOPIC = "com.apple.mgmt.External.6bd7e4a1-8a7c-4a8e-9f6b-2f5d1c3e4b5a";

async function identityFor(userId: string) {
  const e = await createEnrollment({ userId }, admin, ctx);
  const { challenge } = await redeemProfileToken(e.profileToken);
  await consumeChallenge(challenge, e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certPem = issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id], ["O", "Mamori"]], days: 30 });
  return { certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), enrollmentId: e.id };
}

async function checkin(body: Record<string, unknown>, signer: { certPem: string; keyPem: string }) {
  const raw = Buffer.from(buildPlist(body as never));
  const headers = new Headers({ "mdm-signature": signData(raw, signer, { detached: true }).toString("base64") });
  return handleCheckin(raw, await identifyDevice(headers, raw));
}

describe("re-enrollment", () => {
  it("the same serial number with a new UDID replaces the active record and keeps its commands", async () => {
    await startTestJobs();
    const u = await newUser("reenroll@example.jp");
    await inviteUsers([u.id], { baseUrl: BASE }, admin, ctx);
    const first = await identityFor(u.id);
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "OLD-UDID", SerialNumber: "C02SERIAL1", ProductName: "Mac15,6", Model: "Mac15,6" }, first);
    await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "OLD-UDID", Token: Buffer.from("aa".repeat(32), "hex"), PushMagic: "PM-A" }, first);
    const device = await prisma().device.findUniqueOrThrow({ where: { udid: "OLD-UDID" } });
    // The TokenUpdate sent the device-enrolled job: first inventory, invitation done.
    await enrolledJobDone(device.id);
    await enqueueCommand(device.id, { requestType: "DeviceLock", command: { RequestType: "DeviceLock" } } as never, { actor: admin, push: false });
    const history = await prisma().command.count({ where: { deviceId: device.id } });
    expect(history).toBe(3);
    expect(invitationState(await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } }))).toBe("enrolled");

    const again = await identityFor(u.id);
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "NEW-UDID", SerialNumber: "C02SERIAL1", ProductName: "Mac15,6", Model: "Mac15,6" }, again);
    const after = await prisma().device.findMany({ where: { serialNumber: "C02SERIAL1" } });
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: device.id, udid: "NEW-UDID", status: "ENROLLING", enrollmentId: again.enrollmentId, ownerId: u.id });
    expect(await prisma().command.count({ where: { deviceId: device.id } })).toBe(history);
    const re = await events("device.reenroll");
    expect(re.at(-1)).toMatchObject({ targetId: device.id });
    expect(re.at(-1)!.details).toMatchObject({ matchedBy: "serialNumber", previousUdid: "OLD-UDID" });
    // The old identity no longer speaks for the device.
    await expect(checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "NEW-UDID", Token: Buffer.from("bb".repeat(32), "hex"), PushMagic: "PM-B" }, first)).rejects.toMatchObject({ code: "mdm.identityMismatch" });
  });

  it("the same UDID enrolling again is a re-enrollment too", async () => {
    const u = await newUser("reenroll2@example.jp");
    const a = await identityFor(u.id);
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "SAME-UDID", SerialNumber: "DNPSERIAL2", ProductName: "iPhone16,2" }, a);
    const b = await identityFor(u.id);
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "SAME-UDID", SerialNumber: "DNPSERIAL2", ProductName: "iPhone16,2" }, b);
    expect(await prisma().device.count({ where: { udid: "SAME-UDID" } })).toBe(1);
    expect((await events("device.reenroll")).at(-1)!.details).toMatchObject({ matchedBy: "udid" });
  });
});
