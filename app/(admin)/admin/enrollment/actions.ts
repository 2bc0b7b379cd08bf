"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { formAction } from "@/lib/actions";
import { publicUrl } from "@/lib/config";
import { createEnrollment, profileLinkMinutes } from "@/lib/enrollment/service";
import { activeIdentity } from "@/lib/push-certificates/service";
import { getFormatter } from "@/lib/i18n/server";
import { UserError } from "@/lib/errors";

const schema = z.object({
  userId: z.union([z.literal(""), z.uuid()]).default(""),
  platform: z.enum(["", "IOS", "MACOS"]).default(""),
});

export const createLink = formAction({ name: "enrollment.create", role: "admin", schema }, async (input, { user, t, ip, userAgent }) => {
  if (!(await activeIdentity())) throw new UserError("enrollment.noPushCertificate");
  const e = await createEnrollment({ userId: input.userId || null, platform: input.platform || null }, { id: user.id, label: user.email }, { ip, userAgent });
  const url = `${publicUrl((await headers()).get("host"))}/enroll/profile/${e.profileToken}`;
  revalidatePath("/admin/enrollment");
  const until = (await getFormatter())(e.expiresAt);
  return { ok: true, message: `${t("enrollment.created", { minutes: profileLinkMinutes() })} ${t("enrollment.validUntil", { date: until })}\n${url}` };
});
