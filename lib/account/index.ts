import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { hashPassword, passwordProblem, verifyPassword, PASSWORD_MIN } from "@/lib/auth/password";
import { normalizeEmail } from "@/lib/auth/login";
import { hit, reset, type Limit } from "@/lib/rate-limit";
import { sendMail } from "@/lib/mail";
import { translator, type Locale } from "@/lib/i18n";
import type { User } from "@/lib/db/generated/client";

// The end user's own account: display name, sign-in email (confirmed by a link mailed to the
// new address) and password (the current one required; directory users change theirs in the
// directory). Every change is audited with the client address.

type Ctx = { ip: string | null; userAgent: string | null };
type Me = Pick<User, "id" | "email" | "displayName" | "source" | "locale">;

export const NAME_MAX = 100;
export const EMAIL_CHANGE_HOURS = 24;
/** The current password is guessable: 5 wrong tries per 15 minutes per account. */
export const PASSWORD_CHANGE_LIMIT: Limit = { limit: 5, windowSeconds: 15 * 60 };
/** Confirmation mails cost the recipient something: 5 per hour per account. */
export const EMAIL_CHANGE_LIMIT: Limit = { limit: 5, windowSeconds: 60 * 60 };

const actor = (u: Me) => ({ id: u.id, label: u.email });
const target = (u: Me) => ({ type: "user", id: u.id, label: u.email });
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function changeDisplayName(user: Me, name: string, ctx: Ctx): Promise<string> {
  const next = name.normalize("NFKC").trim().replace(/\s+/g, " ");
  if (!next) throw new UserError("account.nameRequired");
  if (next.length > NAME_MAX) throw new UserError("account.nameTooLong", { max: NAME_MAX });
  await prisma().user.update({ where: { id: user.id }, data: { displayName: next } });
  await audit({ actor: actor(user), action: "account.name", target: target(user), details: { from: user.displayName, to: next }, ...ctx });
  return next;
}

/**
 * Records a pending change (older pending ones are dropped) and mails the link to the new
 * address. Returns the token only for tests; the page never shows it.
 */
export async function requestEmailChange(user: Me, rawEmail: string, confirmBase: string, ctx: Ctx): Promise<{ token: string; email: string }> {
  const email = normalizeEmail(rawEmail);
  if (!z.email().safeParse(email).success || email.length > 320) throw new UserError("account.emailInvalid");
  if (email === user.email) throw new UserError("account.emailUnchanged");
  if (await prisma().user.findUnique({ where: { email }, select: { id: true } })) throw new UserError("account.emailTaken");
  if (!(await hit(`account:email:${user.id}`, EMAIL_CHANGE_LIMIT)).allowed) throw new UserError("account.emailRateLimited");
  const token = randomBytes(32).toString("base64url");
  await prisma().$transaction([
    prisma().emailChange.deleteMany({ where: { userId: user.id, usedAt: null } }),
    prisma().emailChange.create({ data: { userId: user.id, newEmail: email, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + EMAIL_CHANGE_HOURS * 3_600_000) } }),
  ]);
  const t = translator((user.locale as Locale) ?? "ja");
  const link = `${confirmBase.replace(/\/$/, "")}/email-change/${token}`;
  await sendMail({
    to: [email],
    subject: t("account.mail.subject"),
    text: t("account.mail.body", { name: user.displayName, email, link, hours: EMAIL_CHANGE_HOURS }),
  });
  await audit({ actor: actor(user), action: "account.email.request", target: target(user), details: { to: email }, ...ctx });
  return { token, email };
}

/** The pending change a link stands for, if it can still be used (for the confirm page). */
export async function pendingEmailChange(token: string, now = new Date()) {
  if (!token || token.length > 200) return null;
  const row = await prisma().emailChange.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: { select: { email: true, disabled: true } } } });
  if (!row || row.usedAt || row.expiresAt <= now || row.user.disabled) return null;
  return { newEmail: row.newEmail, oldEmail: row.user.email };
}

/** Uses the link once: the claim (used_at) and the address change are one transaction. */
export async function confirmEmailChange(token: string, ctx: Ctx, now = new Date()): Promise<{ email: string }> {
  const tokenHash = hashToken(token.slice(0, 200));
  const result = await prisma().$transaction(async (tx) => {
    const { count } = await tx.emailChange.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    if (!count) return null;
    const row = await tx.emailChange.findUniqueOrThrow({ where: { tokenHash }, include: { user: true } });
    if (row.user.disabled) return null;
    if (await tx.user.findUnique({ where: { email: row.newEmail }, select: { id: true } })) throw new UserError("account.emailTaken");
    await tx.user.update({ where: { id: row.userId }, data: { email: row.newEmail } });
    await audit({ actor: { id: row.userId, label: row.user.email }, action: "account.email.change", target: { type: "user", id: row.userId, label: row.newEmail }, details: { from: row.user.email, to: row.newEmail }, ...ctx }, tx);
    return row;
  });
  if (!result) {
    await audit({ actor: { id: null, label: "anonymous" }, action: "account.email.change", result: "FAILURE", details: { reason: "invalidLink" }, ...ctx });
    throw new UserError("account.emailLinkInvalid");
  }
  // The old address learns of the change, in case it was not its owner who asked.
  const t = translator((result.user.locale as Locale) ?? "ja");
  await sendMail({ to: [result.user.email], subject: t("account.mail.changedSubject"), text: t("account.mail.changedBody", { name: result.user.displayName, email: result.newEmail }) });
  return { email: result.newEmail };
}

/**
 * Checks the current password (rate-limited per account), applies the password rules, stores
 * the new hash and bumps sessionVersion so every other session ends; the caller signs this
 * one in again.
 */
export async function changePassword(user: Me, input: { current: string; next: string; confirm: string }, ctx: Ctx): Promise<void> {
  if (user.source === "DIRECTORY") {
    await audit({ actor: actor(user), action: "account.password", result: "DENIED", target: target(user), details: { reason: "directory" }, ...ctx });
    throw new UserError("account.passwordInDirectory");
  }
  const key = `account:password:${user.id}`;
  const limit = await hit(key, PASSWORD_CHANGE_LIMIT);
  if (!limit.allowed) {
    await audit({ actor: actor(user), action: "account.password", result: "DENIED", target: target(user), details: { reason: "rateLimited" }, ...ctx });
    throw new UserError("account.passwordRateLimited", { minutes: Math.ceil(limit.retryAfterSeconds / 60) });
  }
  const row = await prisma().user.findUniqueOrThrow({ where: { id: user.id }, select: { passwordHash: true } });
  if (!(await verifyPassword(input.current, row.passwordHash))) {
    await audit({ actor: actor(user), action: "account.password", result: "FAILURE", target: target(user), details: { reason: "wrongCurrent" }, ...ctx });
    throw new UserError("account.currentPasswordWrong");
  }
  const problem = passwordProblem(input.next, { email: user.email, name: user.displayName });
  if (problem) throw new UserError(problem, { min: PASSWORD_MIN });
  if (input.next !== input.confirm) throw new UserError("password.mismatch");
  if (input.next === input.current) throw new UserError("account.passwordUnchanged");
  await prisma().user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.next), sessionVersion: { increment: 1 } } });
  await reset(key);
  await audit({ actor: actor(user), action: "account.password", target: target(user), ...ctx });
}
