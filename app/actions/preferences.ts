"use server";

import { cookies } from "next/headers";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { LOCALES, LOCALE_COOKIE } from "@/lib/i18n";
import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";

const YEAR = 365 * 24 * 3600;

/** Switches the display language; remembered in a cookie, and on the account when signed in. */
export const setLocale = action.public(
  { name: "user.locale", schema: z.object({ locale: z.enum(LOCALES) }) },
  async ({ locale }, { user, ip, userAgent }) => {
    (await cookies()).set(LOCALE_COOKIE, locale, { path: "/", maxAge: YEAR, sameSite: "lax", httpOnly: false });
    if (user && user.locale !== locale) {
      await prisma().user.update({ where: { id: user.id }, data: { locale } });
      await audit({ actor: { id: user.id, label: user.email }, action: "user.locale", target: { type: "user", id: user.id, label: user.email }, ip, userAgent, details: { locale } });
    }
  },
);
