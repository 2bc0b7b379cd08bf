import { prisma } from "@/lib/db/client";
import { audit, ANONYMOUS } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { hashPassword, passwordProblem, PASSWORD_MIN } from "@/lib/auth/password";
import { findLoginUser, normalizeEmail } from "@/lib/auth/login";
import { newSecret, hashSecret } from "@/lib/enrollment/tokens";
import { hit, reset, type Limit } from "@/lib/rate-limit";
import { sendMail } from "@/lib/mail";
import { translator, type Locale } from "@/lib/i18n";

// "Forgot your password?": a one-time link mailed to a local account (stored only as a hash,
// valid RESET_MINUTES, spent by the POST that sets the new password, never by opening it).
// The form always answers the same, whether the account exists or not; directory users are
// told by mail that their directory holds their password; disabled users get nothing.

type Ctx = { ip: string | null; userAgent: string | null };

export const RESET_MINUTES = 30;
/** Mails cost the recipient something: 3 an hour per typed address. */
export const RESET_EMAIL_LIMIT: Limit = { limit: 3, windowSeconds: 60 * 60 };
/** Per client address, across addresses (probing many accounts). */
export const RESET_ADDRESS_LIMIT: Limit = { limit: 20, windowSeconds: 60 * 60 };

export type ResetRequest = { outcome: "sent" | "directory" | "none"; token?: string } | { outcome: "rateLimited"; minutes: number };

/**
 * Handles a "forgot password" request for whatever was typed. Returns what happened for tests
 * and the audit log; the page shows the same sentence for every outcome but rateLimited.
 */
export async function requestPasswordReset(input: string, baseUrl: string, ctx: Ctx, now = new Date()): Promise<ResetRequest> {
  const typed = normalizeEmail(input).slice(0, 320);
  const target = { type: "user", label: typed };
  const perEmail = await hit(`reset:email:${typed}`, RESET_EMAIL_LIMIT, now);
  const perAddr = ctx.ip ? await hit(`reset:address:${ctx.ip}`, RESET_ADDRESS_LIMIT, now) : null;
  if (!perEmail.allowed || (perAddr && !perAddr.allowed)) {
    await audit({ actor: ANONYMOUS, action: "auth.password_reset.request", result: "DENIED", target, details: { reason: "rateLimited" }, ...ctx });
    const wait = Math.max(perEmail.allowed ? 0 : perEmail.retryAfterSeconds, perAddr && !perAddr.allowed ? perAddr.retryAfterSeconds : 0);
    return { outcome: "rateLimited", minutes: Math.ceil(wait / 60) };
  }
  const user = typed ? await findLoginUser(typed) : null;
  if (!user || user.disabled) {
    await audit({ actor: ANONYMOUS, action: "auth.password_reset.request", result: "FAILURE", target: { ...target, id: user?.id }, details: { reason: user ? "disabled" : "unknownAccount" }, ...ctx });
    return { outcome: "none" };
  }
  const t = translator((user.locale as Locale) ?? "ja");
  const who = { type: "user", id: user.id, label: user.email };
  if (user.source === "DIRECTORY") {
    const m = await sendMail({ to: [user.email], subject: t("passwordReset.mail.subject"), text: t("passwordReset.mail.directoryBody", { name: user.displayName }) });
    await audit({ actor: ANONYMOUS, action: "auth.password_reset.request", result: "FAILURE", target: who, details: { reason: "directory", mail: m.status }, ...ctx });
    return { outcome: "directory" };
  }
  const { secret, hash } = newSecret(32);
  // One open link per user: a new request replaces the previous one.
  await prisma().$transaction([
    prisma().passwordReset.deleteMany({ where: { userId: user.id, usedAt: null } }),
    prisma().passwordReset.create({ data: { userId: user.id, tokenHash: hash, expiresAt: new Date(now.getTime() + RESET_MINUTES * 60_000) } }),
  ]);
  const link = `${baseUrl.replace(/\/$/, "")}/reset-password/${secret}`;
  const m = await sendMail({ to: [user.email], subject: t("passwordReset.mail.subject"), text: t("passwordReset.mail.body", { name: user.displayName, link, minutes: RESET_MINUTES }) });
  await audit({ actor: ANONYMOUS, action: "auth.password_reset.request", target: who, details: { mail: m.status, expiresInMinutes: RESET_MINUTES }, ...ctx });
  return { outcome: "sent", token: secret };
}

async function usableReset(token: string, now: Date) {
  if (!token || token.length > 200) return null;
  const row = await prisma().passwordReset.findUnique({ where: { tokenHash: hashSecret(token) }, include: { user: true } });
  if (!row || row.usedAt || row.expiresAt <= now || row.user.disabled || row.user.source !== "LOCAL") return null;
  return row;
}

/** The account a link is for while it can still be used (for the page; spends nothing). */
export async function pendingPasswordReset(token: string, now = new Date()): Promise<{ email: string } | null> {
  const row = await usableReset(token, now);
  return row && { email: row.user.email };
}

/**
 * Sets the new password with the link: the rules are checked first (a typo does not spend the
 * link), then the link is claimed and the password set in one transaction; sessionVersion is
 * bumped so every session signed in before ends. Throws UserError.
 */
export async function resetPassword(token: string, input: { password: string; confirm: string }, ctx: Ctx, now = new Date()): Promise<{ email: string }> {
  const row = await usableReset(token.slice(0, 200), now);
  if (!row) {
    await audit({ actor: ANONYMOUS, action: "auth.password_reset", result: "FAILURE", details: { reason: "invalidLink" }, ...ctx });
    throw new UserError("passwordReset.linkInvalid");
  }
  const problem = passwordProblem(input.password, { email: row.user.email, name: row.user.displayName });
  if (problem) throw new UserError(problem, { min: PASSWORD_MIN });
  if (input.password !== input.confirm) throw new UserError("password.mismatch");
  const passwordHash = await hashPassword(input.password);
  const claimed = await prisma().$transaction(async (tx) => {
    const { count } = await tx.passwordReset.updateMany({ where: { id: row.id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    if (!count) return false;
    await tx.user.update({ where: { id: row.userId }, data: { passwordHash, sessionVersion: { increment: 1 } } });
    await tx.passwordReset.deleteMany({ where: { userId: row.userId, usedAt: null } });
    await audit({ actor: { id: row.userId, label: row.user.email }, action: "auth.password_reset", target: { type: "user", id: row.userId, label: row.user.email }, ...ctx }, tx);
    return true;
  });
  if (!claimed) {
    await audit({ actor: ANONYMOUS, action: "auth.password_reset", result: "FAILURE", target: { type: "user", id: row.userId, label: row.user.email }, details: { reason: "invalidLink" }, ...ctx });
    throw new UserError("passwordReset.linkInvalid");
  }
  // Locked out by wrong guesses before? The new password works at once.
  await reset(`login:account:${row.user.email}`);
  const t = translator((row.user.locale as Locale) ?? "ja");
  await sendMail({ to: [row.user.email], subject: t("passwordReset.mail.changedSubject"), text: t("passwordReset.mail.changedBody", { name: row.user.displayName }) });
  return { email: row.user.email };
}
