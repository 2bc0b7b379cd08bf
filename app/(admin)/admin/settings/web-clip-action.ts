"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { saveWebClip } from "@/lib/portal/web-clip";

/** The portal's Web Clip on iPhones and iPads: saved, then installed or removed by a job. */
export const saveWebClipAction = action.admin(
  { name: "settings.update", schema: z.object({ enabled: z.literal("on").optional(), label: z.string().max(200) }) },
  async (input, { user, t, ip, userAgent }) => {
    const job = await saveWebClip({ enabled: input.enabled === "on", label: input.label }, { id: user.id, label: user.email }, { ip, userAgent });
    revalidatePath("/admin/settings");
    return { ok: true, message: t(job ? (input.enabled === "on" ? "settings.webClipInstalling" : "settings.webClipRemoving") : "settings.saved"), jobId: job?.id };
  },
);
