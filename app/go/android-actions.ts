"use server";

import { headers } from "next/headers";
import { isUserError } from "@/lib/errors";
import { getT } from "@/lib/i18n/server";
import { clientAddress } from "@/lib/request";
import { androidEnrollmentForTicket, type GoAndroidEnrollment } from "@/lib/android/go";
import { goCookie } from "./cookie";

export type AndroidEnrollState = ({ ok: true; mode: "link" | "qr" } & GoAndroidEnrollment) | { ok: false; error: string } | null;

/** The Android buttons on /go/device: the ticket cookie says who; the token is made for them. */
export async function androidEnrollAction(_prev: AndroidEnrollState, form: FormData): Promise<AndroidEnrollState> {
  const mode = form.get("mode") === "qr" ? "qr" : "link";
  const h = await headers();
  try {
    const r = await androidEnrollmentForTicket(await goCookie(), mode, { ip: clientAddress(h), userAgent: h.get("user-agent") });
    return { ok: true, mode, ...r };
  } catch (e) {
    if (isUserError(e)) return { ok: false, error: (await getT())(`errors.${e.code}`, e.params) };
    throw e;
  }
}
