import { createHash, randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { openMail } from "@/lib/mail";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { inviteUsers, markInvitationsEnrolled, openInvitation, verifyPin } from "@/lib/invitations/service";
import { enrollmentForTicket, issueTicket, setPasswordWithTicket } from "@/lib/invitations/tickets";
import { goEnrollmentStatus, managedDevices } from "@/lib/invitations/go-status";
import { pendingPasswordReset, requestPasswordReset, resetPassword, RESET_EMAIL_LIMIT, RESET_MINUTES } from "@/lib/account/password-reset";
import { pruneExpired } from "@/lib/retention";

// No dead ends for end users: an invitation still sets a password after IT enrolled the device
// (kitting); "forgot password" by a mailed one-time link; /go learns when the device is managed.

useOwnDatabase();

const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.20", userAgent: "vitest" };
const BASE = "https://mdm.example.jp";

async function newUser(email: string, opts: { password?: string; source?: "LOCAL" | "DIRECTORY"; disabled?: boolean } = {}) {
  return prisma().user.create({
    data: { email, displayName: "Hanako Sato", role: "END_USER", source: opts.source ?? "LOCAL", disabled: opts.disabled ?? false, passwordHash: opts.password ? await hashPassword(opts.password) : null },
  });
}

const mails = async (email: string) =>
  (await prisma().mailMessage.findMany({ where: { to: { has: email } }, orderBy: { createdAt: "asc" } })).map((m) => openMail(m));
const pinOf = async (email: string) => /PIN: (\d{6})/.exec((await mails(email)).at(-1)!.text)![1]!;
const inviteTokenOf = async (email: string) => /\/go\?invite=([\w-]+)/.exec((await mails(email)).at(-1)!.text)![1]!;
const resetTokenOf = async (email: string) => /\/reset-password\/([\w-]+)/.exec((await mails(email)).at(-1)!.text)?.[1];
const events = (action: string, targetId?: string) => prisma().auditEvent.findMany({ where: { action, ...(targetId && { targetId }) }, orderBy: { id: "asc" } });

/** What the check-in does for a device IT enrolled with a plain enrollment link: ACTIVE, owned, invitation done. */
async function kitted(userId: string) {
  const d = await prisma().device.create({ data: { udid: `KIT-${randomUUID()}`, platform: "IOS", status: "ACTIVE", ownerId: userId, name: "Hanako's iPhone", enrolledAt: new Date() } });
  await markInvitationsEnrolled(userId);
  return d;
}

beforeEach(async () => {
  await prisma().rateLimit.deleteMany();
});

describe("kitting: IT enrolled the device before the user opened the invitation", () => {
  it("the PIN still lets the user set a password, once; /go shows the device as already managed", async () => {
    const u = await newUser("kitted@example.jp");
    await inviteUsers([u.id], { pin: true, baseUrl: BASE }, admin, ctx);
    const device = await kitted(u.id);
    expect((await prisma().invitation.findFirstOrThrow({ where: { userId: u.id } })).enrolledAt).not.toBeNull();

    // The link reads as still open (and its opening is recorded), telling the device is enrolled.
    expect(await openInvitation(await inviteTokenOf(u.email), ctx)).toMatchObject({ state: "sent", needsPassword: true, deviceEnrolled: true });
    expect(await events("invitation.open", u.id)).toHaveLength(1);

    const r = await verifyPin(u.email, await pinOf(u.email), ctx);
    expect(r).toEqual({ userId: u.id, needsPassword: true });
    const go = await issueTicket(u.id, "GO", { id: u.id, label: u.email }, { needsPassword: true });
    await setPasswordWithTicket(go.secret, "set-after-it-did-1", ctx);
    expect(await verifyPassword("set-after-it-did-1", (await prisma().user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash)).toBe(true);
    expect(await managedDevices(u.id)).toEqual([{ id: device.id, name: "Hanako's iPhone", model: null, platform: "IOS" }]);
    // ...but no device enrolled in this visit yet.
    expect(await goEnrollmentStatus(go.secret)).toEqual({ managed: null });

    // One-time still: the spent PIN is refused, and the link now reads as done.
    await expect(verifyPin(u.email, await pinOf(u.email), ctx)).rejects.toMatchObject({ code: "invitations.pinUsed" });
    expect(await openInvitation(await inviteTokenOf(u.email), ctx)).toMatchObject({ state: "enrolled", needsPassword: false });
    expect((await events("invitation.pin", u.id)).map((e) => e.result)).toEqual(["SUCCESS", "FAILURE"]);
  });

  it("a user who already has a password is told to sign in with it; an expired or revoked invitation stays refused", async () => {
    const withPw = await newUser("kitted-pw@example.jp", { password: "already-a-passphrase" });
    await inviteUsers([withPw.id], { pin: true, baseUrl: BASE }, admin, ctx);
    await kitted(withPw.id);
    await expect(verifyPin(withPw.email, await pinOf(withPw.email), ctx)).rejects.toMatchObject({ code: "invitations.pinEnrolled" });
    expect((await events("invitation.pin", withPw.id)).at(-1)?.details).toMatchObject({ reason: "enrolled" });

    const late = await newUser("kitted-late@example.jp");
    await inviteUsers([late.id], { pin: true, baseUrl: BASE }, admin, ctx);
    await kitted(late.id);
    await prisma().invitation.updateMany({ where: { userId: late.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await openInvitation(await inviteTokenOf(late.email), ctx)).toMatchObject({ state: "expired" });
    await expect(verifyPin(late.email, await pinOf(late.email), ctx)).rejects.toMatchObject({ code: "invitations.pinExpired" });
  });
});

describe("/go learns when the device is managed", () => {
  it("managed once a device from an enrollment made in this visit is ACTIVE for the ticket's user", async () => {
    const u = await newUser("poll@example.jp", { password: "poll-user-passphrase" });
    const go = await issueTicket(u.id, "GO", { id: u.id, label: u.email });
    expect(await goEnrollmentStatus(go.secret)).toEqual({ managed: null });
    const e = await enrollmentForTicket(go.secret, "IOS", ctx);
    // Enrolling (SCEP done, no TokenUpdate yet): not managed.
    const d = await prisma().device.create({ data: { udid: `POLL-${randomUUID()}`, platform: "IOS", status: "ENROLLING", ownerId: u.id, enrollmentId: e.id } });
    expect(await goEnrollmentStatus(go.secret)).toEqual({ managed: null });
    await prisma().device.update({ where: { id: d.id }, data: { status: "ACTIVE", name: "Poll iPhone", enrolledAt: new Date() } });
    expect(await goEnrollmentStatus(go.secret)).toMatchObject({ managed: { id: d.id, name: "Poll iPhone" } });
    // Someone else's ticket, or none, learns nothing.
    const other = await newUser("poll-other@example.jp", { password: "poll-other-passphrase" });
    expect(await goEnrollmentStatus((await issueTicket(other.id, "GO", admin)).secret)).toEqual({ managed: null });
    expect(await goEnrollmentStatus("forged")).toBeNull();
    expect(await goEnrollmentStatus(go.secret, new Date(Date.now() + 31 * 60_000))).toBeNull();
  });
});

describe("forgot password", () => {
  it("mails a one-time link stored only as a hash; looking at it spends nothing; the POST sets the password and ends other sessions", async () => {
    const u = await newUser("forgot@example.jp", { password: "the-old-passphrase" });
    const r = await requestPasswordReset(" Forgot@Example.jp ", BASE, ctx);
    expect(r.outcome).toBe("sent");
    const token = (await resetTokenOf(u.email))!;
    expect(token).toBe(r.outcome === "sent" ? r.token : "");
    const row = await prisma().passwordReset.findFirstOrThrow({ where: { userId: u.id } });
    expect(row.tokenHash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeLessThanOrEqual(RESET_MINUTES * 60_000 + 5_000);

    expect(await pendingPasswordReset(token)).toEqual({ email: u.email });
    expect(await pendingPasswordReset(token)).toEqual({ email: u.email });
    // Same rules as everywhere; a refused password does not spend the link.
    await expect(resetPassword(token, { password: "short", confirm: "short" }, ctx)).rejects.toMatchObject({ code: "password.tooShort" });
    await expect(resetPassword(token, { password: "a-new-passphrase-1", confirm: "a-new-passphrase-2" }, ctx)).rejects.toMatchObject({ code: "password.mismatch" });
    await expect(resetPassword(token, { password: "password123", confirm: "password123" }, ctx)).rejects.toMatchObject({ code: "password.tooCommon" });
    expect(await resetPassword(token, { password: "a-brand-new-passphrase", confirm: "a-brand-new-passphrase" }, ctx)).toEqual({ email: u.email });

    const after = await prisma().user.findUniqueOrThrow({ where: { id: u.id } });
    expect(await verifyPassword("a-brand-new-passphrase", after.passwordHash)).toBe(true);
    expect(after.sessionVersion).toBe(u.sessionVersion + 1);
    expect(await pendingPasswordReset(token)).toBeNull();
    await expect(resetPassword(token, { password: "another-passphrase-2", confirm: "another-passphrase-2" }, ctx)).rejects.toMatchObject({ code: "passwordReset.linkInvalid" });
    expect((await events("auth.password_reset")).map((e) => [e.result, e.targetId])).toEqual([["SUCCESS", u.id], ["FAILURE", null]]);
    expect((await mails(u.email)).at(-1)!.subject).toMatch(/パスワードが変更されました/);
  });

  it("expired links and links replaced by a newer one are refused", async () => {
    const u = await newUser("forgot-exp@example.jp", { password: "the-old-passphrase" });
    await requestPasswordReset(u.email, BASE, ctx, new Date(Date.now() - (RESET_MINUTES + 1) * 60_000));
    const old = (await resetTokenOf(u.email))!;
    expect(await pendingPasswordReset(old)).toBeNull();
    await expect(resetPassword(old, { password: "a-brand-new-passphrase", confirm: "a-brand-new-passphrase" }, ctx)).rejects.toMatchObject({ code: "passwordReset.linkInvalid" });
    await requestPasswordReset(u.email, BASE, ctx);
    const first = (await resetTokenOf(u.email))!;
    await requestPasswordReset(u.email, BASE, ctx);
    const second = (await resetTokenOf(u.email))!;
    expect(await pendingPasswordReset(first)).toBeNull();
    expect(await pendingPasswordReset(second)).toEqual({ email: u.email });
  });

  it("unknown and disabled accounts get no mail; directory users are told their directory holds the password", async () => {
    await newUser("off@example.jp", { password: "disabled-passphrase", disabled: true });
    const dir = await newUser("ldap-user@example.jp", { source: "DIRECTORY" });
    expect(await requestPasswordReset("nobody@example.jp", BASE, ctx)).toEqual({ outcome: "none" });
    expect(await requestPasswordReset("off@example.jp", BASE, ctx)).toEqual({ outcome: "none" });
    expect(await requestPasswordReset(dir.email, BASE, ctx)).toEqual({ outcome: "directory" });
    expect(await mails("nobody@example.jp")).toHaveLength(0);
    expect(await mails("off@example.jp")).toHaveLength(0);
    const [m] = await mails(dir.email);
    expect(m!.text).toContain("社内ディレクトリ");
    expect(m!.text).not.toContain("/reset-password/");
    expect(await prisma().passwordReset.count({ where: { userId: dir.id } })).toBe(0);
    expect((await events("auth.password_reset.request")).filter((e) => e.result === "FAILURE").map((e) => e.details)).toEqual([
      { reason: "unknownAccount" }, { reason: "disabled" }, { reason: "directory", mail: "OUTBOX" },
    ]);
  });

  it("is rate-limited per address typed and per client address", async () => {
    const u = await newUser("forgot-rl@example.jp", { password: "the-old-passphrase" });
    for (let i = 0; i < RESET_EMAIL_LIMIT.limit; i++) expect((await requestPasswordReset(u.email, BASE, ctx)).outcome).toBe("sent");
    expect(await requestPasswordReset(u.email, BASE, ctx)).toMatchObject({ outcome: "rateLimited", minutes: 60 });
    expect(await mails(u.email)).toHaveLength(RESET_EMAIL_LIMIT.limit);
    // Many addresses from one client: the per-client limit (20 an hour) stops it too.
    const from = { ...ctx, ip: "198.51.100.7" };
    const outcomes = [];
    for (let i = 0; i < 21; i++) outcomes.push((await requestPasswordReset(`probe-${i}@example.jp`, BASE, from)).outcome);
    expect(outcomes.slice(0, 20).every((o) => o === "none")).toBe(true);
    expect(outcomes[20]).toBe("rateLimited");
    expect((await events("auth.password_reset.request")).filter((e) => e.result === "DENIED")).toHaveLength(2);
  });

  it("used and expired reset rows go with the tickets under retention", async () => {
    const u = await newUser("forgot-ret@example.jp", { password: "the-old-passphrase" });
    await requestPasswordReset(u.email, BASE, ctx, new Date(Date.now() - 200 * 86_400_000));
    await requestPasswordReset(u.email, BASE, ctx);
    expect(await prisma().passwordReset.count({ where: { userId: u.id } })).toBe(1);
    await prisma().passwordReset.create({ data: { userId: u.id, tokenHash: "old", expiresAt: new Date(Date.now() - 200 * 86_400_000) } });
    await pruneExpired();
    expect((await prisma().passwordReset.findMany({ where: { userId: u.id } })).map((r) => r.tokenHash)).not.toContain("old");
    expect(await prisma().passwordReset.count({ where: { userId: u.id } })).toBe(1);
  });
});
