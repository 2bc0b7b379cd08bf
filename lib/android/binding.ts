import { createHash, randomBytes } from "node:crypto";
import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import { openString, seal } from "@/lib/crypto";
import { fetchAccessToken, parseServiceAccount } from "./client";
import { createEnterprise, createSignupUrl } from "./binding-client";
import { DEFAULT_POLICY } from "./policy";
import { pushPolicy } from "./policies";
import { MAX_KEY_BYTES } from "./service";

// "Sign up with Google": Mamori asks Google for a signup URL whose callback carries a random
// state, sends the admin there, and on the way back creates the enterprise with the token
// Google appended. The pending signup lives in the database (several instances may serve the
// callback); only the admin who started it, within SIGNUP_TTL, once, can finish it.

type Ctx = { ip: string | null; userAgent: string | null };

const KEY_CONTEXT = "android.service-account-key";
/** Google's signup may include creating a managed Google account: give it time, not forever. */
export const SIGNUP_TTL_MS = 2 * 60 * 60 * 1000;
export const CALLBACK_PATH = "/admin/android/signup";
const STATE = /^[A-Za-z0-9_-]{43}$/;

const hashState = (state: string) => createHash("sha256").update(state).digest("hex");
const errorResult = (e: unknown) => (isUserError(e) ? `error:${JSON.stringify({ code: e.code, params: e.params })}` : `error:${JSON.stringify({ code: "unexpected", params: {} })}`);

/** Starts a signup; returns Google's signup URL for the admin's browser. */
export async function startAndroidSignup(input: { keyJson: string; displayName: string; adminEmail?: string | null }, actor: Actor, baseUrl: string, ctx: Ctx): Promise<string> {
  if (await prisma().androidEnterprise.count({ where: { id: 1 } })) throw new UserError("android.alreadyBound");
  const keyText = input.keyJson.trim();
  if (!keyText) throw new UserError("android.keyRequired");
  if (Buffer.byteLength(keyText) > MAX_KEY_BYTES) throw new UserError("android.keyTooLarge", { max: MAX_KEY_BYTES });
  const sa = parseServiceAccount(keyText);
  if (!sa.projectId) throw new UserError("android.keyNoProject");
  const displayName = input.displayName.normalize("NFKC").trim().replace(/\s+/g, " ");
  if (!displayName || displayName.length > 100) throw new UserError("android.displayNameInvalid");
  const state = randomBytes(32).toString("base64url");
  const callbackUrl = `${baseUrl.replace(/\/+$/, "")}${CALLBACK_PATH}?state=${state}`;
  const target = { type: "android", id: sa.projectId, label: sa.projectId };
  try {
    const token = await fetchAccessToken(sa);
    const signup = await createSignupUrl(token.token, { projectId: sa.projectId, callbackUrl, adminEmail: input.adminEmail || null });
    await prisma().$transaction(async (tx) => {
      await tx.androidSignup.create({
        data: {
          stateHash: hashState(state),
          signupUrlName: signup.name,
          projectId: sa.projectId!,
          clientEmail: sa.clientEmail,
          privateKeyId: sa.privateKeyId,
          privateKeySealed: seal(sa.privateKeyPem, KEY_CONTEXT),
          displayName,
          createdById: actor.id!,
          expiresAt: new Date(Date.now() + SIGNUP_TTL_MS),
        },
      });
      await audit({ actor, action: "android.signup_start", target, details: { projectId: sa.projectId, clientEmail: sa.clientEmail, signupUrlName: signup.name, displayName }, ...ctx }, tx);
    });
    return signup.url;
  } catch (e) {
    if (isUserError(e)) await audit({ actor, action: "android.signup_start", result: "FAILURE", target, details: { code: e.code, params: e.params }, ...ctx });
    throw e;
  }
}

/** Read-only look at a callback, for the confirmation page: the pending signup, or why it is refused. */
export async function pendingSignup(state: string | null, adminId: string, now = new Date()): Promise<{ displayName: string; projectId: string } | { refused: "unknown" | "otherAdmin" | "used" | "expired" }> {
  const row = state && STATE.test(state) ? await prisma().androidSignup.findUnique({ where: { stateHash: hashState(state) } }) : null;
  if (!row) return { refused: "unknown" };
  if (row.createdById !== adminId) return { refused: "otherAdmin" };
  if (row.usedAt) return { refused: "used" };
  if (row.expiresAt <= now) return { refused: "expired" };
  return { displayName: row.displayName, projectId: row.projectId };
}

export type SignupOutcome = { signupId: string } | { refused: "unknown" | "otherAdmin" | "used" | "expired" | "noToken" };

/**
 * The callback: the pending signup of this admin for `state`, claimed once, then
 * enterprises.create, the connection row and the default policy. Refusals change nothing.
 */
export async function completeAndroidSignup(input: { state: string | null; enterpriseToken: string | null }, actor: Actor, ctx: Ctx, now = new Date()): Promise<SignupOutcome> {
  const state = input.state ?? "";
  const row = STATE.test(state) ? await prisma().androidSignup.findUnique({ where: { stateHash: hashState(state) } }) : null;
  const token = input.enterpriseToken ?? "";
  const refused = !row ? "unknown" : row.createdById !== actor.id ? "otherAdmin" : row.usedAt ? "used" : row.expiresAt <= now ? "expired" : !token || token.length > 4096 ? "noToken" : null;
  const target = { type: "android", id: row?.projectId ?? null, label: row?.projectId ?? "signup" };
  const deny = async (reason: NonNullable<typeof refused>) => {
    await audit({ actor, action: "android.signup_complete", result: "DENIED", target, details: { reason, ...(row && { signupId: row.id }) }, ...ctx });
    return { refused: reason };
  };
  if (refused || !row) return deny(refused ?? "unknown");
  // Claim it: of two concurrent callbacks (a double click, a replay) one goes on.
  const claimed = await prisma().androidSignup.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now } });
  if (claimed.count !== 1) return deny("used");
  let result: string;
  try {
    if (await prisma().androidEnterprise.count({ where: { id: 1 } })) throw new UserError("android.alreadyBound");
    const sa = { clientEmail: row.clientEmail, privateKeyId: row.privateKeyId, privateKeyPem: openString(row.privateKeySealed, KEY_CONTEXT), projectId: row.projectId };
    const access = await fetchAccessToken(sa);
    const enterprise = await createEnterprise(access.token, { projectId: row.projectId, signupUrlName: row.signupUrlName, enterpriseToken: token, displayName: row.displayName });
    const policyName = `${enterprise.name}/policies/default`;
    await prisma().$transaction(async (tx) => {
      await tx.androidEnterprise.create({
        data: { id: 1, enterpriseName: enterprise.name, policyName, projectId: row.projectId, clientEmail: row.clientEmail, privateKeyId: row.privateKeyId, privateKeySealed: row.privateKeySealed },
      });
      await tx.androidSignup.update({ where: { id: row.id }, data: { result: `ok:${enterprise.name}` } });
      await audit(
        { actor, action: "android.signup_complete", target: { type: "android", id: enterprise.name, label: enterprise.name }, details: { enterpriseName: enterprise.name, projectId: row.projectId, signupUrlName: row.signupUrlName, policyName }, ...ctx },
        tx,
      );
    });
    result = `ok:${enterprise.name}`;
  } catch (e) {
    result = errorResult(e);
    await prisma().androidSignup.update({ where: { id: row.id }, data: { result } });
    await audit({ actor, action: "android.signup_complete", result: "FAILURE", target, details: { signupId: row.id, ...(isUserError(e) ? { code: e.code, params: e.params } : { code: "unexpected" }) }, ...ctx });
    if (!isUserError(e)) throw e;
    return { signupId: row.id };
  }
  // The enterprise exists from here on; a refused policy shows on the Android page, to be sent again.
  await pushPolicy(null, DEFAULT_POLICY, actor, ctx).catch((e) => {
    if (!isUserError(e)) throw e;
  });
  return { signupId: row.id };
}

/** How a signup of this admin ended, for the Android page after the callback. */
export async function signupResult(id: string, adminId: string): Promise<{ ok: boolean; enterpriseName: string | null; code: string | null; params: Record<string, string | number> } | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const row = await prisma().androidSignup.findUnique({ where: { id } });
  if (!row || row.createdById !== adminId || !row.result) return null;
  if (row.result.startsWith("ok:")) return { ok: true, enterpriseName: row.result.slice(3), code: null, params: {} };
  try {
    const { code, params } = JSON.parse(row.result.slice("error:".length)) as { code: string; params: Record<string, string | number> };
    return { ok: false, enterpriseName: null, code, params };
  } catch {
    return { ok: false, enterpriseName: null, code: "unexpected", params: {} };
  }
}
