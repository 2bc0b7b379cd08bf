"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { createEnrollment, profileLinkMinutes } from "@/lib/enrollment/service";
import { activeIdentity } from "@/lib/push-certificates/service";
import { assertLicensesFor } from "@/lib/licenses";
import { resolvePublicUrl } from "@/lib/settings";
import { getFormatter } from "@/lib/i18n/server";
import { UserError, isUserError } from "@/lib/errors";
import { audit } from "@/lib/audit";

const schema = z.object({
  userId: z.union([z.literal(""), z.uuid()]).default(""),
  platform: z.enum(["", "IOS", "MACOS"]).default(""),
  // Several one-time links at once, e.g. for IT staff setting up a batch of devices.
  count: z.coerce.number().int("enrollment.countInvalid").min(1, "enrollment.countInvalid").max(100, "enrollment.countInvalid").default(1),
});

export const createLink = action.admin({ name: "enrollment.create", schema }, async (input, { user, t, ip, userAgent }) => {
  try {
    // Licenses first: with every license in use, no link helps, whatever else is missing.
    await assertLicensesFor(input.count);
    if (!(await activeIdentity())) throw new UserError("enrollment.noPushCertificate");
  } catch (e) {
    // A refused attempt is worth a row: it tells why nobody could enroll that day.
    if (isUserError(e)) await audit({ actor: { id: user.id, label: user.email }, action: "enrollment.create", result: "FAILURE", ip, userAgent, details: { reason: e.code, count: input.count } });
    throw e;
  }
  const base = await resolvePublicUrl((await headers()).get("host"));
  const links: string[] = [];
  let expiresAt = new Date();
  for (let i = 0; i < input.count; i++) {
    const e = await createEnrollment({ userId: input.userId || null, platform: input.platform || null }, { id: user.id, label: user.email }, { ip, userAgent });
    links.push(`${base}/enroll/profile/${e.profileToken}`);
    expiresAt = e.expiresAt;
  }
  revalidatePath("/admin/enrollment");
  const until = (await getFormatter())(expiresAt);
  return { ok: true, message: `${t("enrollment.created", { minutes: profileLinkMinutes() })} ${t("enrollment.validUntil", { date: until })}\n${links.join("\n")}` };
});
