import { randomInt } from "node:crypto";
import { prisma } from "@/lib/db/client";
import { audit, ANONYMOUS, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { hit, type Limit } from "@/lib/rate-limit";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { normalizeEmail } from "@/lib/auth/login";
import { newSecret, hashSecret } from "@/lib/enrollment/tokens";
import { sendMail } from "@/lib/mail";
import { getSetting, mailableUrl } from "@/lib/settings";
import { defaultTimeZone } from "@/lib/config";
import { formatDateTime } from "@/lib/i18n";
import type { Invitation, User } from "@/lib/db/generated/client";
import { startJob, type Job, type Progress } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import { invitationMail } from "./messages";

// Invitations to enroll (seed 001): a mail in the user's language with the /go link and,
// when chosen, a one-time numeric PIN (expiring, single use, locked after 5 wrong tries).
// Token and PIN are stored only as hashes; a re-send revokes the previous invitation.

export const PIN_LENGTH = 6;
export const PIN_MAX_ATTEMPTS = 5;
/** Per client address, on top of the per-invitation lockout: guessing across many accounts. */
export const PIN_ADDRESS_LIMIT: Limit = { limit: 30, windowSeconds: 15 * 60 };

type Ctx = { ip: string | null; userAgent: string | null };

export type InvitationState = "sent" | "opened" | "enrolled" | "expired" | "revoked";

export function invitationState(inv: Pick<Invitation, "enrolledAt" | "revokedAt" | "expiresAt" | "openedAt">, now = new Date()): InvitationState {
  if (inv.enrolledAt) return "enrolled";
  if (inv.revokedAt) return "revoked";
  if (inv.expiresAt.getTime() <= now.getTime()) return "expired";
  return inv.openedAt ? "opened" : "sent";
}

function newPin(): string {
  return String(randomInt(0, 10 ** PIN_LENGTH)).padStart(PIN_LENGTH, "0");
}

function mailDate(d: Date, user: Pick<User, "locale" | "timeZone">) {
  return formatDateTime(d, user.locale === "en" ? "en" : "ja", user.timeZone ?? defaultTimeZone());
}

async function invitees(userIds: string[]): Promise<User[]> {
  const users = await prisma().user.findMany({ where: { id: { in: userIds } } });
  if (users.length !== new Set(userIds).size) throw new UserError("users.notFound");
  const disabled = users.find((u) => u.disabled);
  if (disabled) throw new UserError("invitations.userDisabled", { email: disabled.email });
  return users;
}

/**
 * Checks the users and queues their invitations as a send-invitations job (a hash and a mail
 * per user take a while for many users); returns at once.
 */
export async function startInvitations(userIds: string[], opts: { pin?: boolean; baseUrl: string }, actor: Actor, ctx: Ctx): Promise<Job> {
  const users = await invitees(userIds);
  return startJob(JOB_KINDS.invitations, actor, { users: users.length, pin: opts.pin ?? null }, { userIds: users.map((u) => u.id), ...opts, actor, ctx }, users.length);
}

/**
 * Sends each user a new invitation (revoking any open one): the mail goes out through Resend
 * or stays in the outbox. Returns how many were sent.
 */
export async function inviteUsers(
  userIds: string[],
  opts: { pin?: boolean; baseUrl: string; progress?: Pick<Progress, "add"> },
  actor: Actor,
  ctx: Ctx,
  now = new Date(),
): Promise<number> {
  const settings = await getSetting("invitations");
  const withPin = opts.pin ?? settings.pinByDefault;
  const users = await invitees(userIds);
  for (const user of users) {
    const { secret, hash } = newSecret();
    const pin = withPin ? newPin() : null;
    const expiresAt = new Date(now.getTime() + settings.validityDays * 86_400_000);
    const pinExpiresAt = pin ? new Date(Math.min(expiresAt.getTime(), now.getTime() + settings.pinValidityHours * 3_600_000)) : null;
    const pinHash = pin ? await hashPassword(pin) : null;
    // Revoke and create as one step, serialized per user (row lock): two sends racing leave
    // exactly one open invitation, never two.
    const { revoked, inv } = await prisma().$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM users WHERE id = ${user.id}::uuid FOR UPDATE`;
      const revoked = await tx.invitation.updateMany({ where: { userId: user.id, revokedAt: null, enrolledAt: null }, data: { revokedAt: now } });
      const inv = await tx.invitation.create({
        data: { userId: user.id, tokenHash: hash, pinHash, pinExpiresAt, expiresAt, baseUrl: mailableUrl(opts.baseUrl) ? opts.baseUrl : null, createdByLabel: actor.label },
      });
      return { revoked, inv };
    });
    const mail = invitationMail(user.locale, {
      name: user.displayName,
      email: user.email,
      link: `${opts.baseUrl}/go?invite=${secret}`,
      go: `${opts.baseUrl}/go`,
      pin,
      pinUntil: pinExpiresAt && mailDate(pinExpiresAt, user),
      until: mailDate(expiresAt, user),
    });
    const sent = await sendMail({ to: [user.email], ...mail });
    await prisma().invitation.update({ where: { id: inv.id }, data: { sentAt: sent.status === "FAILED" ? null : now } });
    await audit({
      actor,
      action: revoked.count ? "invitation.resend" : "invitation.send",
      result: sent.status === "FAILED" ? "FAILURE" : "SUCCESS",
      target: { type: "user", id: user.id, label: user.email },
      details: { invitationId: inv.id, pin: Boolean(pin), expiresAt: expiresAt.toISOString(), mail: sent.status, ...(sent.error && { error: sent.error }) },
      ...ctx,
    });
    await opts.progress?.add(1, sent.status === "FAILED" ? 1 : 0);
  }
  return users.length;
}

/** The link in the mail was opened: remember it (once) and tell /go whose it is. */
export async function openInvitation(token: string, ctx: Ctx, now = new Date()) {
  const inv = await prisma().invitation.findUnique({ where: { tokenHash: hashSecret(token) }, include: { user: true } });
  if (!inv) return null;
  // Enrolled by IT first (kitting) and still without a password: the invitation stays open for
  // setting one, so it is sent/opened/expired/revoked as if not enrolled.
  const needsPassword = needsOwnPassword(inv.user);
  const state = invitationState(needsPassword ? { ...inv, enrolledAt: null } : inv, now);
  if (!inv.openedAt && state === "sent") {
    const { count } = await prisma().invitation.updateMany({ where: { id: inv.id, openedAt: null }, data: { openedAt: now } });
    if (count) await audit({ actor: ANONYMOUS, action: "invitation.open", target: { type: "user", id: inv.userId, label: inv.user.email }, details: { invitationId: inv.id }, ...ctx });
  }
  return { email: inv.user.email, state, hasPin: Boolean(inv.pinHash), needsPassword, deviceEnrolled: Boolean(inv.enrolledAt) };
}

/** A local account without a password: /go asks for one after the PIN (directory users have theirs). */
export function needsOwnPassword(user: Pick<User, "passwordHash" | "source">): boolean {
  return !user.passwordHash && user.source === "LOCAL";
}

export interface PinResult {
  userId: string;
  /** No password yet: /go asks for one before the download. */
  needsPassword: boolean;
}

/**
 * Checks an email + PIN from /go. The attempt is counted before the PIN is compared (one
 * atomic UPDATE, so parallel guesses cannot exceed the limit); the 5th wrong one locks it,
 * a right one spends it. Throws UserError("invitations.pin*").
 */
export async function verifyPin(emailInput: string, pin: string, ctx: Ctx, now = new Date()): Promise<PinResult> {
  const email = normalizeEmail(emailInput).slice(0, 320);
  const target = { type: "user", label: email };
  if (ctx.ip) {
    const addr = await hit(`pin:address:${ctx.ip}`, PIN_ADDRESS_LIMIT, now);
    if (!addr.allowed) {
      await audit({ actor: ANONYMOUS, action: "invitation.pin", result: "DENIED", target, details: { reason: "rateLimited" }, ...ctx });
      throw new UserError("invitations.pinRateLimited", { minutes: Math.ceil(addr.retryAfterSeconds / 60) });
    }
  }
  const user = await prisma().user.findUnique({ where: { email } });
  const inv = user && (await prisma().invitation.findFirst({ where: { userId: user.id, revokedAt: null, pinHash: { not: null } }, orderBy: { createdAt: "desc" } }));
  const fail = async (reason: string, code: string, params: Record<string, string | number> = {}) => {
    await audit({ actor: ANONYMOUS, action: "invitation.pin", result: "FAILURE", target: { ...target, id: user?.id }, details: { reason, invitationId: inv?.id ?? null }, ...ctx });
    return new UserError(code, params);
  };
  if (!user || !inv || user.disabled) throw await fail(!user ? "unknownAccount" : !inv ? "noPin" : "disabled", "invitations.pinWrong");
  // A device enrolled by another path (IT kitting) does not spend the PIN: it still lets the
  // user set their password, until they have one.
  if (inv.pinUsedAt) throw await fail("used", "invitations.pinUsed");
  if (inv.enrolledAt && !needsOwnPassword(user)) throw await fail("enrolled", "invitations.pinEnrolled");
  if (inv.pinLockedAt) throw await fail("locked", "invitations.pinLocked");
  if ((inv.pinExpiresAt && inv.pinExpiresAt <= now) || inv.expiresAt <= now) throw await fail("expired", "invitations.pinExpired");

  const counted = await prisma().$queryRaw<{ pin_attempts: number }[]>`
    UPDATE invitations SET pin_attempts = pin_attempts + 1
    WHERE id = ${inv.id}::uuid AND pin_attempts < ${PIN_MAX_ATTEMPTS} AND pin_used_at IS NULL AND pin_locked_at IS NULL
    RETURNING pin_attempts`;
  if (!counted[0]) throw await fail("locked", "invitations.pinLocked");
  const attempts = counted[0].pin_attempts;
  if (!/^\d+$/.test(pin) || !(await verifyPassword(pin, inv.pinHash))) {
    if (attempts >= PIN_MAX_ATTEMPTS) {
      await prisma().invitation.update({ where: { id: inv.id }, data: { pinLockedAt: now } });
      await audit({ actor: ANONYMOUS, action: "invitation.pin_locked", result: "FAILURE", target: { ...target, id: user.id }, details: { invitationId: inv.id, attempts }, ...ctx });
      throw new UserError("invitations.pinLocked");
    }
    throw await fail("wrongPin", "invitations.pinWrongLeft", { left: PIN_MAX_ATTEMPTS - attempts });
  }
  const spent = await prisma().invitation.updateMany({ where: { id: inv.id, pinUsedAt: null }, data: { pinUsedAt: now, openedAt: inv.openedAt ?? now } });
  if (!spent.count) throw await fail("used", "invitations.pinUsed");
  await audit({ actor: { id: user.id, label: user.email }, action: "invitation.pin", target: { ...target, id: user.id }, details: { invitationId: inv.id }, ...ctx });
  // Directory users sign in with their directory password: only local users set one here.
  return { userId: user.id, needsPassword: needsOwnPassword(user) };
}

/** The user's device finished enrolling: their open invitations are done (no more reminders). */
export async function markInvitationsEnrolled(userId: string, now = new Date()): Promise<number> {
  const { count } = await prisma().invitation.updateMany({ where: { userId, enrolledAt: null, revokedAt: null }, data: { enrolledAt: now } });
  return count;
}

/**
 * One reminder per due invitation: not enrolled, not revoked, not expired, and the interval
 * since the last mail has passed. Each row is claimed (FOR UPDATE SKIP LOCKED, stamped in the
 * same statement) before its mail goes out, so concurrent runs never send one twice.
 * Links go to the configured public URL, else to the address the invitation itself linked to;
 * never to a guess (http://localhost:3000). Due invitations with neither wait, unclaimed, and
 * each run says so in the audit log (invitation.remind, FAILURE, noPublicUrl) until one is set.
 */
export async function runInvitationReminders(publicUrl: string | null, now = new Date()): Promise<number> {
  const s = await getSetting("invitations");
  if (!s.remindersEnabled) return 0;
  const due = new Date(now.getTime() - s.reminderIntervalDays * 86_400_000);
  let sent = 0;
  for (;;) {
    const claimed = await prisma().$queryRaw<{ id: string }[]>`
      UPDATE invitations SET last_reminder_at = ${now}, reminder_count = reminder_count + 1
      WHERE id IN (
        SELECT i.id FROM invitations i JOIN users u ON u.id = i.user_id
        WHERE i.enrolled_at IS NULL AND i.revoked_at IS NULL AND i.sent_at IS NOT NULL AND NOT u.disabled
          AND i.expires_at > ${now} AND COALESCE(i.last_reminder_at, i.sent_at) <= ${due}
          AND (${publicUrl}::text IS NOT NULL OR i.base_url IS NOT NULL)
        ORDER BY i.created_at LIMIT 50 FOR UPDATE OF i SKIP LOCKED)
      RETURNING id`;
    if (!claimed.length) break;
    for (const { id } of claimed) {
      const inv = await prisma().invitation.findUniqueOrThrow({ where: { id }, include: { user: true } });
      const user = inv.user;
      const baseUrl = publicUrl ?? inv.baseUrl!;
      const mail = invitationMail(user.locale, {
        name: user.displayName,
        email: user.email,
        link: `${baseUrl}/go?email=${encodeURIComponent(user.email)}`,
        go: `${baseUrl}/go`,
        // The PIN is only stored as a hash: the reminder points back to the first mail.
        pin: null,
        pinUntil: null,
        until: mailDate(inv.expiresAt, user),
      }, true);
      const m = await sendMail({ to: [user.email], ...mail });
      await audit({ actor: { id: null, label: "system" }, action: "invitation.remind", result: m.status === "FAILED" ? "FAILURE" : "SUCCESS", target: { type: "user", id: user.id, label: user.email }, details: { invitationId: inv.id, reminder: inv.reminderCount } });
      sent++;
    }
  }
  if (!publicUrl) {
    const waiting = await prisma().invitation.count({
      where: { enrolledAt: null, revokedAt: null, sentAt: { not: null }, baseUrl: null, expiresAt: { gt: now }, user: { disabled: false }, OR: [{ lastReminderAt: { lte: due } }, { lastReminderAt: null, sentAt: { lte: due } }] },
    });
    if (waiting) await audit({ actor: { id: null, label: "system" }, action: "invitation.remind", result: "FAILURE", details: { reason: "noPublicUrl", waiting } });
  }
  return sent;
}

/** The newest invitation per user, for the users list. */
export async function latestInvitations(userIds: string[]) {
  if (!userIds.length) return new Map<string, Invitation>();
  const rows = await prisma().invitation.findMany({ where: { userId: { in: userIds } }, orderBy: { createdAt: "desc" }, distinct: ["userId"] });
  return new Map(rows.map((r) => [r.userId, r]));
}
