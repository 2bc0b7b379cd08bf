import { prisma } from "@/lib/db/client";
import { audit, ANONYMOUS } from "@/lib/audit";
import { hit, release, reset, type Limit } from "@/lib/rate-limit";
import { UserError } from "@/lib/errors";
import { verifyPassword } from "./password";
import type { Role } from "@/lib/db/generated/enums";
import type { User } from "@/lib/db/generated/client";

// Per account: 5 tries in 15 minutes. Per address: 30 failures in 15 minutes (an office
// behind one NAT shares an address, so this one is looser).
export const ACCOUNT_LIMIT: Limit = { limit: 5, windowSeconds: 15 * 60 };
export const ADDRESS_LIMIT: Limit = { limit: 30, windowSeconds: 15 * 60 };

export interface LoginRequest {
  /** Email address or username (directory users have one). */
  email: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  sessionVersion: number;
}

export function normalizeEmail(email: string): string {
  return email.trim().normalize("NFKC").toLowerCase();
}

/** Usernames compare like directory names do: case-insensitively. */
export function normalizeUsername(username: string): string {
  return username.trim().normalize("NFKC").toLowerCase();
}

/** The account a sign-in identifier names: its email address first, else its username. */
export async function findLoginUser(identifier: string): Promise<User | null> {
  const id = normalizeEmail(identifier).slice(0, 320);
  if (!id) return null;
  return (await prisma().user.findUnique({ where: { email: id } })) ?? (await prisma().user.findUnique({ where: { username: id } }));
}

/** Directory users are checked by an LDAP bind (lib/directory); loaded lazily to keep ldapts out of other paths. */
async function verifyDirectoryUser(user: User, password: string): Promise<"ok" | "wrongPassword" | "notInDirectory" | "directoryUnavailable"> {
  const { checkDirectoryPassword } = await import("@/lib/directory/login");
  return checkDirectoryPassword(user, password);
}

/** Checks credentials under rate limits; throws UserError("login.invalid" | "login.rateLimited" | "login.directoryUnavailable"). */
export async function attemptLogin(req: LoginRequest): Promise<SignedInUser> {
  const identifier = normalizeEmail(req.email).slice(0, 320);
  const found = await findLoginUser(identifier);
  // One counter per account, whichever name it was addressed by.
  const email = found?.email ?? identifier;
  const ctx = { ip: req.ip, userAgent: req.userAgent, target: { type: "user", label: email } };
  const acct = await hit(`login:account:${email}`, ACCOUNT_LIMIT);
  const addr = req.ip ? await hit(`login:address:${req.ip}`, ADDRESS_LIMIT) : null;
  if (!acct.allowed || (addr && !addr.allowed)) {
    await audit({ ...ctx, actor: ANONYMOUS, action: "auth.login", result: "DENIED", details: { reason: "rateLimited" } });
    const wait = Math.max(acct.allowed ? 0 : acct.retryAfterSeconds, addr && !addr.allowed ? addr.retryAfterSeconds : 0);
    throw new UserError("login.rateLimited", { minutes: Math.ceil(wait / 60) });
  }
  const user = found;
  let ok: boolean;
  let reason: string | null = null;
  if (user?.source === "DIRECTORY") {
    const r = user.disabled ? "disabled" : await verifyDirectoryUser(user, req.password);
    ok = r === "ok";
    if (!ok) reason = r;
  } else ok = await verifyPassword(req.password, user?.passwordHash);
  if (!user || !ok || user.disabled) {
    reason ??= !user ? "unknownAccount" : !ok ? "wrongPassword" : "disabled";
    await audit({
      ...ctx,
      actor: user ? { id: user.id, label: user.email } : ANONYMOUS,
      target: { type: "user", id: user?.id, label: email },
      action: "auth.login",
      result: "FAILURE",
      details: { reason },
    });
    throw new UserError(reason === "directoryUnavailable" ? "login.directoryUnavailable" : "login.invalid");
  }
  await reset(`login:account:${email}`);
  if (req.ip) await release(`login:address:${req.ip}`);
  await audit({ ...ctx, actor: { id: user.id, label: user.email }, target: { type: "user", id: user.id, label: email }, action: "auth.login" });
  return { id: user.id, email: user.email, name: user.displayName, role: user.role, sessionVersion: user.sessionVersion };
}
