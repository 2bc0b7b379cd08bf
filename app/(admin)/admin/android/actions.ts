"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { readUpload } from "@/lib/upload";
import { MAX_KEY_BYTES, saveAndroidSettings, testAndroidConnection } from "@/lib/android/service";
import { startAndroidSync } from "@/lib/android/job";
import { saveSetting } from "@/lib/settings";

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
