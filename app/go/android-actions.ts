"use server";

import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { androidEnrollmentForTicket } from "@/lib/android/go";
import { goCookie } from "./cookie";

/**
 * The Android buttons on /go/device: public, because the /go ticket cookie (not a session) says
 * who; the one-time enrollment token is made for that user.
 */
export const androidEnrollAction = action.public(
  { name: "android.enrollmentToken", schema: z.object({ mode: z.enum(["link", "qr"]).catch("link") }) },
  async ({ mode }, { ip, userAgent }) => {
    const r = await androidEnrollmentForTicket(await goCookie(), mode, { ip, userAgent });
    return { ok: true, data: { mode, url: r.url, qrSvg: r.qrSvg ?? "", expiresAt: r.expiresAt ?? "" } };
  },
);
