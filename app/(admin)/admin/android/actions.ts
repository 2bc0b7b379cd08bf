"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { readUpload } from "@/lib/upload";
import { MAX_KEY_BYTES, saveAndroidSettings, testAndroidConnection } from "@/lib/android/service";
import { startAndroidSync } from "@/lib/android/job";
import { saveSetting } from "@/lib/settings";
import { redirect } from "next/navigation";
import { completeAndroidSignup, startAndroidSignup } from "@/lib/android/binding";
import { pushPolicy, removeGroupPolicy } from "@/lib/android/policies";
import { parsePolicyForm } from "@/lib/android/policy";
import { resolvePublicUrl } from "@/lib/settings";

const PAGE = "/admin/android";
const actor = (u: { id: string; email: string }) => ({ id: u.id, label: u.email });

// The key's field names contain "secret" so lib/actions never echoes them back to the form.
export const saveAndroid = action.admin(
  {
    name: "android.settings_update",
    schema: z.object({
      enterpriseName: z.string().max(200),
      policyName: z.string().max(400),
      secretKeyJson: z.string().max(MAX_KEY_BYTES * 2).optional(),
      secretKeyFile: z.instanceof(File).optional(),
    }),
  },
  async (input, { user, t, ip, userAgent }) => {
    const file = input.secretKeyFile && input.secretKeyFile.size > 0 ? (await readUpload(input.secretKeyFile, MAX_KEY_BYTES, "android.keyTooLarge")).toString("utf8") : "";
    const keyJson = file || input.secretKeyJson || "";
    await saveAndroidSettings({ enterpriseName: input.enterpriseName, policyName: input.policyName, keyJson }, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("android.saved") };
  },
);

export const testAndroid = action.admin({ name: "android.test_connection", schema: z.object({}) }, async (_, { user, t, ip, userAgent }) => {
  const r = await testAndroidConnection(actor(user), { ip, userAgent });
  return { ok: true, message: t("android.testOk", { enterprise: r.displayName ?? r.enterpriseName, policy: r.policyName }) };
});

export const syncAndroid = action.admin({ name: "android.sync", schema: z.object({}) }, async (_, { user, t, ip, userAgent }) => {
  const job = await startAndroidSync(actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  // Queued, not done: the progress shows below the button and Google's verdict on the page.
  return { ok: true, message: t("android.syncQueued"), jobId: job.id };
});

// Pub/Sub push notifications: the audience and service account of the push subscription's token.
export const saveAndroidPubsub = action.admin(
  { name: "settings.update", schema: z.object({ audience: z.string().max(1000), serviceAccountEmail: z.string().max(400) }) },
  async (input, { user, t, ip, userAgent }) => {
    await saveSetting("androidPubsub", { audience: input.audience, serviceAccountEmail: input.serviceAccountEmail }, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("android.pubsubSaved") };
  },
);

/** "Sign up with Google": the browser goes to Google's signup URL the action returns. */
export const startSignup = action.admin(
  {
    name: "android.signup_start",
    schema: z.object({
      displayName: z.string().max(200),
      adminEmail: z.string().max(320).optional(),
      secretKeyJson: z.string().max(MAX_KEY_BYTES * 2).optional(),
      secretKeyFile: z.instanceof(File).optional(),
    }),
  },
  async (input, { user, ip, userAgent }) => {
    const file = input.secretKeyFile && input.secretKeyFile.size > 0 ? (await readUpload(input.secretKeyFile, MAX_KEY_BYTES, "android.keyTooLarge")).toString("utf8") : "";
    // Back to the origin the admin is using (their session cookie lives there); Next.js has
    // already checked a server action's Origin against Host.
    const h = await headers();
    const origin = h.get("origin");
    const base = origin && /^https?:\/\/[^/]+$/.test(origin) ? origin : await resolvePublicUrl(h.get("host"));
    const url = await startAndroidSignup({ keyJson: file || input.secretKeyJson || "", displayName: input.displayName, adminEmail: input.adminEmail?.trim() || null }, actor(user), base, { ip, userAgent });
    return { ok: true, data: { url } };
  },
);

const policySchema = z.object({
  groupId: z.string().uuid().optional().or(z.literal("")),
  screenLock: z.string().max(40),
  minLength: z.string().max(4).optional(),
  autoLockMinutes: z.string().max(4).optional(),
  cameraDisabled: z.string().optional(),
  screenCaptureDisabled: z.string().optional(),
  usb: z.string().max(40),
  unknownApps: z.string().max(60),
  factoryResetDisabled: z.string().optional(),
  frpAdminEmails: z.string().max(2000).optional(),
  developerSettingsDisabled: z.string().optional(),
});

/** The default policy, or a group's own (groupId): stored and sent to Google with policies.patch. */
export const savePolicy = action.admin({ name: "android.policy_update", schema: policySchema }, async (input, { user, t, ip, userAgent }) => {
  const name = await pushPolicy(input.groupId || null, parsePolicyForm(input), actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  return { ok: true, message: t("android.policySaved", { policy: name }) };
});

export const removePolicy = action.admin({ name: "android.policy_remove", schema: z.object({ groupId: z.string().uuid() }) }, async ({ groupId }, { user, t, ip, userAgent }) => {
  await removeGroupPolicy(groupId, actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  return { ok: true, message: t("android.policyRemoved") };
});

/**
 * The confirmation on Google's way back: a same-origin POST (Next.js checks Origin) carrying the
 * state and Google's token; the pending signup of this admin is finished once, else refused.
 */
export const finishSignup = action.admin(
  { name: "android.signup_complete", schema: z.object({ state: z.string().max(100), secretEnterpriseToken: z.string().max(4096) }) },
  async (input, { user, ip, userAgent }) => {
    const outcome = await completeAndroidSignup({ state: input.state, enterpriseToken: input.secretEnterpriseToken }, actor(user), { ip, userAgent });
    redirect("signupId" in outcome ? `${PAGE}?signup=${outcome.signupId}` : `${PAGE}?signup=refused`);
  },
);
