"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { saveGlobalPrivacy, saveGroupPrivacy, PRIVACY_KEYS, type PrivacyOverride } from "@/lib/privacy";

const on = z.literal("on").optional();
const choice = z.enum(["inherit", "allow", "deny"], { error: "validation.invalid" });

export const saveGlobal = action.admin(
  { name: "settings.update", schema: z.object({ location: on, wipe: on, retire: on, unlock: on }) },
  async (input, { user, t, ip, userAgent }) => {
    await saveGlobalPrivacy(
      { location: input.location === "on", wipe: input.wipe === "on", retire: input.retire === "on", unlock: input.unlock === "on" },
      { id: user.id, label: user.email },
      { ip, userAgent },
    );
    revalidatePath("/admin/privacy");
    return { ok: true, message: t("privacy.saved") };
  },
);

export const saveGroup = action.admin(
  { name: "privacy.group.update", schema: z.object({ groupId: z.uuid(), location: choice, wipe: choice, retire: choice, unlock: choice }) },
  async (input, { user, t, ip, userAgent }) => {
    const value = Object.fromEntries(PRIVACY_KEYS.map((k) => [k, input[k] === "inherit" ? null : input[k] === "allow"])) as PrivacyOverride;
    await saveGroupPrivacy(input.groupId, value, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/privacy");
    return { ok: true, message: t("privacy.saved") };
  },
);
