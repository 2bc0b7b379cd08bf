import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { open, openString, seal } from "@/lib/crypto";
import { hit } from "@/lib/rate-limit";
import { failureReference, GOOGLE_FAILURES } from "./reference";
import { policyForUser } from "./policies";
import { amapi, createEnrollmentToken, ENTERPRISE_NAME, fetchAccessToken, parseServiceAccount, POLICY_NAME, type EnrollmentToken, type ServiceAccount } from "./client";

// The Android Management API connection: one row holding the enterprise, the policy new
// devices enroll into and the service account (private key sealed; never shown again).

type Ctx = { ip: string | null; userAgent: string | null };

const KEY_CONTEXT = "android.service-account-key";
const TOKEN_CONTEXT = "android.access-token";
/** Enrollment tokens last this long: enough to set the phone up, short enough not to linger. */
export const ENROLLMENT_TOKEN_SECONDS = 3600;
export const MAX_KEY_BYTES = 16_384;
/** Each token is a call to Google: a user gets a handful per hour (retries, a second phone). */
export const TOKEN_LIMIT = { limit: 10, windowSeconds: 3600 };

export interface AndroidSettingsView {
  enterpriseName: string;
  policyName: string;
  clientEmail: string;
  lastSyncAt: Date | null;
  lastSyncResult: string | null;
}

/** What the admin page shows; null when Android is not set up. Never the key. */
export async function androidSettings(): Promise<AndroidSettingsView | null> {
  const row = await prisma().androidEnterprise.findUnique({ where: { id: 1 } });
  if (!row) return null;
  return { enterpriseName: row.enterpriseName, policyName: row.policyName, clientEmail: row.clientEmail, lastSyncAt: row.lastSyncAt, lastSyncResult: row.lastSyncResult };
}

export async function androidConfigured(): Promise<boolean> {
  return (await prisma().androidEnterprise.count({ where: { id: 1 } })) > 0;
}

/**
 * Validates and stores the settings. The key is required the first time; left empty later it
 * keeps the stored one. A changed key or enterprise drops the cached access token.
 */
export async function saveAndroidSettings(input: { enterpriseName: string; policyName: string; keyJson?: string | null }, actor: Actor, ctx: Ctx): Promise<AndroidSettingsView> {
  const enterpriseName = input.enterpriseName.trim();
  const policyName = input.policyName.trim();
  if (!ENTERPRISE_NAME.test(enterpriseName)) throw new UserError("android.enterpriseInvalid", { value: enterpriseName.slice(0, 120) });
  const policy = POLICY_NAME.exec(policyName);
  if (!policy) throw new UserError("android.policyInvalid", { value: policyName.slice(0, 200) });
  if (policy[1] !== enterpriseName) throw new UserError("android.policyOtherEnterprise", { enterprise: enterpriseName });
  const keyText = input.keyJson?.trim() ?? "";
  if (Buffer.byteLength(keyText) > MAX_KEY_BYTES) throw new UserError("android.keyTooLarge", { max: MAX_KEY_BYTES });
  const existing = await prisma().androidEnterprise.findUnique({ where: { id: 1 } });
  if (!keyText && !existing) throw new UserError("android.keyRequired");
  const sa = keyText ? parseServiceAccount(keyText) : null;
  const resetToken = sa !== null || existing?.enterpriseName !== enterpriseName;
  const keyData = sa ? { clientEmail: sa.clientEmail, privateKeyId: sa.privateKeyId, privateKeySealed: seal(sa.privateKeyPem, KEY_CONTEXT), projectId: sa.projectId ?? null } : {};
  const tokenData = resetToken ? { accessTokenSealed: null, accessTokenExpiry: null } : {};
  const row = await prisma().$transaction(async (tx) => {
    const saved = existing
      ? await tx.androidEnterprise.update({ where: { id: 1 }, data: { enterpriseName, policyName, ...keyData, ...tokenData } })
      : await tx.androidEnterprise.create({ data: { id: 1, enterpriseName, policyName, ...(keyData as Required<typeof keyData>) } });
    await audit(
      { actor, action: "android.settings_update", target: { type: "android", id: enterpriseName, label: enterpriseName }, details: { enterpriseName, policyName, clientEmail: saved.clientEmail, keyReplaced: sa !== null }, ...ctx },
      tx,
    );
    return saved;
  });
  return { enterpriseName: row.enterpriseName, policyName: row.policyName, clientEmail: row.clientEmail, lastSyncAt: row.lastSyncAt, lastSyncResult: row.lastSyncResult };
}

type Row = NonNullable<Awaited<ReturnType<ReturnType<typeof prisma>["androidEnterprise"]["findUnique"]>>>;

export async function configOrThrow(): Promise<Row> {
  const row = await prisma().androidEnterprise.findUnique({ where: { id: 1 } });
  if (!row) throw new UserError("android.notConfigured");
  return row;
}

function serviceAccount(row: Row): ServiceAccount {
  return { clientEmail: row.clientEmail, privateKeyId: row.privateKeyId, privateKeyPem: openString(row.privateKeySealed, KEY_CONTEXT) };
}

/** A valid access token: the cached one while it has a minute left, else a fresh one (stored sealed). */
export async function accessToken(row: Row, now = new Date()): Promise<string> {
  if (row.accessTokenSealed && row.accessTokenExpiry && row.accessTokenExpiry.getTime() - now.getTime() > 60_000) {
    return open(row.accessTokenSealed, TOKEN_CONTEXT).toString("utf8");
  }
  const fresh = await fetchAccessToken(serviceAccount(row), now);
  // Only if the key is still the one the token was made with (a concurrent save wins).
  await prisma().androidEnterprise.updateMany({
    where: { id: 1, privateKeySealed: row.privateKeySealed },
    data: { accessTokenSealed: seal(fresh.token, TOKEN_CONTEXT), accessTokenExpiry: fresh.expiresAt },
  });
  return fresh.token;
}

export interface ConnectionResult {
  enterpriseName: string;
  displayName: string | null;
  policyName: string;
}

/** "Test connection": a token, enterprises.get and policies.get. Audited either way. */
export async function testAndroidConnection(actor: Actor, ctx: Ctx): Promise<ConnectionResult> {
  const row = await configOrThrow();
  try {
    const token = await accessToken(row);
    const enterprise = await amapi(token, "GET", row.enterpriseName);
    await amapi(token, "GET", row.policyName);
    const result = { enterpriseName: row.enterpriseName, displayName: typeof enterprise.enterpriseDisplayName === "string" ? enterprise.enterpriseDisplayName : null, policyName: row.policyName };
    await audit({ actor, action: "android.test_connection", target: { type: "android", id: row.enterpriseName, label: row.enterpriseName }, details: { ...result }, ...ctx });
    return result;
  } catch (e) {
    const code = e instanceof UserError ? e.code : "unexpected";
    await audit({ actor, action: "android.test_connection", result: "FAILURE", target: { type: "android", id: row.enterpriseName, label: row.enterpriseName }, details: { code }, ...ctx });
    throw e;
  }
}

/** A one-time enrollment token for `userId`'s next Android device (the /go Android button). */
export async function createAndroidEnrollment(userId: string, actor: Actor, ctx: Ctx): Promise<EnrollmentToken> {
  const row = await configOrThrow();
  const user = await prisma().user.findUnique({ where: { id: userId }, select: { id: true, email: true, disabled: true, groupId: true } });
  if (!user || user.disabled) throw new UserError("android.userUnknown");
  const limit = await hit(`android.token:user:${user.id}`, TOKEN_LIMIT);
  if (!limit.allowed) {
    await audit({ actor, action: "android.enrollment_token", result: "DENIED", target: { type: "user", id: user.id, label: user.email }, details: { reason: "rateLimited" }, ...ctx });
    throw new UserError("android.rateLimited", { minutes: Math.ceil(limit.retryAfterSeconds / 60) });
  }
  const policyName = await policyForUser(row.enterpriseName, row.policyName, user.groupId);
  let token: EnrollmentToken;
  try {
    token = await createEnrollmentToken(await accessToken(row), row.enterpriseName, { policyName, userId, durationSeconds: ENROLLMENT_TOKEN_SECONDS });
  } catch (e) {
    // Google's side failed: the user gets a reference to quote, the admin Google's reason under it.
    if (!(e instanceof UserError) || !GOOGLE_FAILURES.has(e.code)) throw e;
    const reference = failureReference();
    await audit({
      actor,
      action: "android.enrollment_token",
      result: "FAILURE",
      target: { type: "user", id: user.id, label: user.email },
      details: { reference, code: e.code, params: e.params, enterpriseName: row.enterpriseName, policyName },
      ...ctx,
    });
    throw new UserError("android.enrollFailed", { reference });
  }
  await audit({
    actor,
    action: "android.enrollment_token",
    target: { type: "user", id: user.id, label: user.email },
    details: { enterpriseName: row.enterpriseName, policyName, tokenName: token.name, expiresAt: token.expiresAt?.toISOString() ?? null },
    ...ctx,
  });
  return token;
}
