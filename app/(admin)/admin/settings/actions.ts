"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { formAction } from "@/lib/actions";
import { saveSetting } from "@/lib/settings";

const lines = (s: string) => s.split(/[\n,;]+/).map((x) => x.trim()).filter(Boolean);

export const saveNotifications = formAction(
  { name: "settings.update", role: "admin", schema: z.object({ recipients: z.string().max(20_000), thresholds: z.string().max(1000) }) },
  async (input, { user, t, ip, userAgent }) => {
    // Numbers stay as typed when they are not numbers, so the error can quote them.
    const thresholds = lines(input.thresholds).map((v) => (/^\d+$/.test(v) ? Number(v) : v)) as number[];
    await saveSetting("notifications", { recipients: lines(input.recipients), thresholds }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);

export const saveMail = formAction(
  { name: "settings.update", role: "admin", schema: z.object({ from: z.string().max(400) }) },
  async (input, { user, t, ip, userAgent }) => {
    await saveSetting("mail", { from: input.from.trim() }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t("settings.saved") };
  },
);
