import { prisma } from "@/lib/db/client";
import { audit, ANONYMOUS, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { hashPassword, passwordProblem, PASSWORD_MIN } from "@/lib/auth/password";
import { createEnrollment } from "@/lib/enrollment/service";
import { newSecret, hashSecret } from "@/lib/enrollment/tokens";
import type { Platform } from "@/lib/db/generated/enums";

// Two short-lived tickets bound to one user:
// - QR: shown as a QR code (admin user page, self-service portal); scanning opens /go/t/<token>,
//   which spends it once and hands out a GO ticket.
// - GO: what a user holds (in an httpOnly cookie) between proving who they are at /go and
//   downloading the profile. Several profile downloads may follow (a retry); each is single use.

export const QR_MINUTES = 15;
export const GO_MINUTES = 30;

type Ctx = { ip: string | null; userAgent: string | null };

export async function issueTicket(userId: string, kind: "QR" | "GO", actor: Actor, opts: { needsPassword?: boolean } = {}, now = new Date()) {
  const { secret, hash } = newSecret();
  const minutes = kind === "QR" ? QR_MINUTES : GO_MINUTES;
  const expiresAt = new Date(now.getTime() + minutes * 60_000);
  await prisma().enrollmentTicket.create({ data: { userId, kind, tokenHash: hash, expiresAt, needsPassword: opts.needsPassword ?? false, createdByLabel: actor.label } });
  return { secret, expiresAt };
}

/** A signed-in user continues at /go without typing anything again. */
export async function continueAsSignedIn(user: { id: string; email: string }, ctx: Ctx, now = new Date()) {
  const t = await issueTicket(user.id, "GO", { id: user.id, label: user.email }, {}, now);
  await audit({ actor: { id: user.id, label: user.email }, action: "enrollment.go", target: { type: "user", id: user.id, label: user.email }, ...ctx });
  return t;
}

/** A QR code for enrolling a device of this user; audited as who asked for it. */
export async function createQrToken(userId: string, actor: Actor, ctx: Ctx, now = new Date()) {
  const user = await prisma().user.findUnique({ where: { id: userId } });
  if (!user) throw new UserError("users.notFound");
  if (user.disabled) throw new UserError("invitations.userDisabled", { email: user.email });
  const t = await issueTicket(userId, "QR", actor, {}, now);
  await audit({ actor, action: "enrollment.qr_create", target: { type: "user", id: user.id, label: user.email }, details: { expiresAt: t.expiresAt.toISOString() }, ...ctx });
  return t;
}

/** Why a QR token would be refused, without spending or auditing anything (null: it would work). */
export async function qrTokenProblem(token: string, now = new Date()): Promise<"go.qrUsed" | "go.qrExpired" | "go.qrInvalid" | null> {
  const t = await prisma().enrollmentTicket.findUnique({ where: { tokenHash: hashSecret(token) }, include: { user: { select: { disabled: true } } } });
  if (!t || t.kind !== "QR" || t.user.disabled) return "go.qrInvalid";
  if (t.usedAt) return "go.qrUsed";
  return t.expiresAt <= now ? "go.qrExpired" : null;
}

/** Scanning the QR code: spends the token once (atomic UPDATE) and returns a GO ticket. */
export async function redeemQrToken(token: string, ctx: Ctx, now = new Date()) {
  const hash = hashSecret(token);
  const rows = await prisma().$queryRaw<{ user_id: string }[]>`
    UPDATE enrollment_tickets SET used_at = ${now}
    WHERE token_hash = ${hash} AND kind = 'QR' AND used_at IS NULL AND expires_at > ${now}
    RETURNING user_id`;
  const userId = rows[0]?.user_id;
  const user = userId ? await prisma().user.findUnique({ where: { id: userId } }) : null;
  if (!user || user.disabled) {
    const known = await prisma().enrollmentTicket.findUnique({ where: { tokenHash: hash } });
    const reason = !known || known.kind !== "QR" ? "unknown" : known.usedAt && !userId ? "used" : user?.disabled ? "disabled" : "expired";
    await audit({ actor: ANONYMOUS, action: "enrollment.qr_scan", result: "FAILURE", target: known ? { type: "user", id: known.userId } : undefined, details: { reason }, ...ctx });
    throw new UserError(reason === "used" ? "go.qrUsed" : reason === "expired" ? "go.qrExpired" : "go.qrInvalid");
  }
  await audit({ actor: { id: user.id, label: user.email }, action: "enrollment.qr_scan", target: { type: "user", id: user.id, label: user.email }, ...ctx });
  return issueTicket(user.id, "GO", { id: user.id, label: user.email }, { needsPassword: !user.passwordHash && user.source === "LOCAL" }, now);
}

/** The GO ticket behind the /go cookie, with its user; null when unknown, expired or the user is disabled. */
export async function readGoTicket(secret: string | undefined | null, now = new Date()) {
  if (!secret) return null;
  const ticket = await prisma().enrollmentTicket.findUnique({ where: { tokenHash: hashSecret(secret) }, include: { user: true } });
  if (!ticket || ticket.kind !== "GO" || ticket.usedAt || ticket.expiresAt <= now || ticket.user.disabled) return null;
  return ticket;
}

async function goTicketOrThrow(secret: string | undefined | null, now: Date) {
  const ticket = await readGoTicket(secret, now);
  if (!ticket) throw new UserError("go.ticketExpired");
  return ticket;
}

/** After a PIN, a user without a password sets one; then /go signs them in with it. */
export async function setPasswordWithTicket(secret: string | undefined | null, password: string, ctx: Ctx, now = new Date(), confirm = password) {
  const ticket = await goTicketOrThrow(secret, now);
  if (!ticket.needsPassword) throw new UserError("go.passwordAlreadySet");
  const problem = passwordProblem(password, { email: ticket.user.email, name: ticket.user.displayName });
  if (problem) throw new UserError(problem, { min: PASSWORD_MIN });
  if (password !== confirm) throw new UserError("password.mismatch");
  const passwordHash = await hashPassword(password);
  // Claimed, not checked-then-set: of two racing requests only one finds the ticket still
  // wanting a password (and the account still without one); the other changes nothing.
  await prisma().$transaction(async (tx) => {
    const claimed = await tx.enrollmentTicket.updateMany({ where: { id: ticket.id, needsPassword: true, usedAt: null }, data: { needsPassword: false } });
    const set = claimed.count ? await tx.user.updateMany({ where: { id: ticket.userId, passwordHash: null }, data: { passwordHash } }) : claimed;
    if (!set.count) throw new UserError("go.passwordAlreadySet");
  });
  await audit({ actor: { id: ticket.userId, label: ticket.user.email }, action: "user.password_set", target: { type: "user", id: ticket.userId, label: ticket.user.email }, details: { via: "go" }, ...ctx });
  return ticket.user;
}

/** The profile download behind /go: a one-time enrollment for the ticket's user. */
export async function enrollmentForTicket(secret: string | undefined | null, platform: Platform, ctx: Ctx, now = new Date()) {
  const ticket = await goTicketOrThrow(secret, now);
  if (ticket.needsPassword) throw new UserError("go.setPasswordFirst");
  return createEnrollment({ userId: ticket.userId, platform }, { id: ticket.userId, label: ticket.user.email }, ctx, now);
}
