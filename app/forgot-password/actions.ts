"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { signIn } from "@/lib/auth";
import { requestPasswordReset, resetPassword } from "@/lib/account/password-reset";
import { resolvePublicUrl } from "@/lib/settings";

// "Forgot your password?" (/forgot-password) and the mailed link (/reset-password/[token]).

export const requestResetAction = action.public(
  { name: "auth.password_reset.request", schema: z.object({ email: z.string().trim().min(1, "validation.required").max(320, "validation.tooLong") }) },
  async (input, { t, ip, userAgent }) => {
    const base = await resolvePublicUrl((await headers()).get("host"));
    const r = await requestPasswordReset(input.email, base, { ip, userAgent });
    if (r.outcome === "rateLimited") return { ok: false, error: t("errors.passwordReset.rateLimited", { minutes: r.minutes }) };
    // The same answer whether or not the account exists (and whatever kind it is).
    return { ok: true, message: t("passwordReset.sent") };
  },
);

export const resetPasswordAction = action.public(
  {
    name: "auth.password_reset",
    schema: z.object({ token: z.string().max(200), password: z.string().min(1, "validation.required").max(1000, "validation.tooLong"), confirm: z.string().max(1000).default("") }),
  },
  async (input, { ip, userAgent }) => {
    const { email } = await resetPassword(input.token, { password: input.password, confirm: input.confirm }, { ip, userAgent });
    // Every earlier session has ended; this browser is signed in with the new password.
    try {
      await signIn("credentials", { email, password: input.password, redirect: false });
    } catch {
      redirect("/login?reset=done");
    }
    redirect("/");
  },
);
