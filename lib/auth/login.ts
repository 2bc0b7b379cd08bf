import { prisma } from "@/lib/db/client";
import { audit, ANONYMOUS } from "@/lib/audit";
import { hit, release, reset, type Limit } from "@/lib/rate-limit";
import { UserError } from "@/lib/errors";
import { verifyPassword } from "./password";
import type { Role } from "@/lib/db/generated/enums";

// Per account: 5 tries in 15 minutes. Per address: 30 failures in 15 minutes (an office
// behind one NAT shares an address, so this one is looser).
export const ACCOUNT_LIMIT: Limit = { limit: 5, windowSeconds: 15 * 60 };
export const ADDRESS_LIMIT: Limit = { limit: 30, windowSeconds: 15 * 60 };

export interface LoginRequest {
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

/** Checks credentials under rate limits; throws UserError("login.invalid" | "login.rateLimited"). */
export async function attemptLogin(req: LoginRequest): Promise<SignedInUser> {
  const email = normalizeEmail(req.email).slice(0, 320);
  const ctx = { ip: req.ip, userAgent: req.userAgent, target: { type: "user", label: email } };
  const acct = await hit(`login:account:${email}`, ACCOUNT_LIMIT);
  const addr = req.ip ? await hit(`login:address:${req.ip}`, ADDRESS_LIMIT) : null;
  if (!acct.allowed || (addr && !addr.allowed)) {
    await audit({ ...ctx, actor: ANONYMOUS, action: "auth.login", result: "DENIED", details: { reason: "rateLimited" } });
    const wait = Math.max(acct.allowed ? 0 : acct.retryAfterSeconds, addr && !addr.allowed ? addr.retryAfterSeconds : 0);
    throw new UserError("login.rateLimited", { minutes: Math.ceil(wait / 60) });
  }
  const user = await prisma().user.findUnique({ where: { email } });
  const ok = await verifyPassword(req.password, user?.passwordHash);
  if (!user || !ok || user.disabled) {
    const reason = !user ? "unknownAccount" : !ok ? "wrongPassword" : "disabled";
    await audit({
      ...ctx,
      actor: user ? { id: user.id, label: user.email } : ANONYMOUS,
      target: { type: "user", id: user?.id, label: email },
      action: "auth.login",
      result: "FAILURE",
      details: { reason },
    });
    throw new UserError("login.invalid");
  }
  await reset(`login:account:${email}`);
  if (req.ip) await release(`login:address:${req.ip}`);
  await audit({ ...ctx, actor: { id: user.id, label: user.email }, target: { type: "user", id: user.id, label: email }, action: "auth.login" });
  return { id: user.id, email: user.email, name: user.displayName, role: user.role, sessionVersion: user.sessionVersion };
}
