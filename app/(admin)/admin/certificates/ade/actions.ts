"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { getFormatter } from "@/lib/i18n/server";
import { readUpload, uploadedFile } from "@/lib/upload";
import * as ade from "@/lib/ade/service";

const PAGE = "/admin/certificates/ade";
const actor = (u: { id: string; email: string }) => ({ id: u.id, label: u.email });

export const createKey = action.admin({ name: "adeToken.keyCreate", schema: z.object({}) }, async (_, { user, t, ip, userAgent }) => {
  await ade.ensureAdeKey(actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  return { ok: true, message: t("ade.keyCreated") };
});

export const uploadToken = action.admin(
  { name: "adeToken.upload", schema: z.object({ file: uploadedFile() }) },
  async (input, { user, t, ip, userAgent }) => {
    const data = await readUpload(input.file, ade.MAX_TOKEN_BYTES, "adeToken.tooLarge");
    const r = await ade.uploadAdeToken(data, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    const done = t("ade.uploaded", { org: r.orgName ?? t("ade.orgUnknown"), date: (await getFormatter())(r.accessTokenExpiry) });
    if (!r.warning) return { ok: true, message: done };
    const reason = t(`warnings.${r.warning.reasonCode}`, r.warning.params);
    return { ok: true, message: `${done} ${t(`warnings.${r.warning.code}`, { reason })}` };
  },
);

export const deleteToken = action.admin({ name: "adeToken.delete", schema: z.object({}) }, async (_, { user, t, ip, userAgent }) => {
  const deleted = await ade.deleteAdeToken(actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  return deleted ? { ok: true, message: t("ade.deleted") } : { ok: false, error: t("ade.noToken") };
});
