"use server";

import { headers } from "next/headers";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { getFormatter } from "@/lib/i18n/server";
import { resolvePublicUrl } from "@/lib/settings";
import { createQrToken } from "@/lib/invitations/tickets";
import { qrSvg } from "@/lib/invitations/qr";
import { deliverableBase } from "@/lib/setup-checklist";

/** A single-use QR code for another device, made only when asked for (a page view makes none). */
export const myQrAction = action.endUser({ name: "enrollment.qr_create", schema: z.object({}) }, async (_input, { user, ip, userAgent }) => {
  const me = { id: user.id, label: user.email };
  const base = await deliverableBase(await resolvePublicUrl((await headers()).get("host")), "enrollment.qr_create", me, { ip, userAgent });
  const qr = await createQrToken(user.id, me, { ip, userAgent });
  const url = `${base}/go/t/${qr.secret}`;
  return { ok: true, data: { url, svg: await qrSvg(url), until: (await getFormatter())(qr.expiresAt) } };
});
