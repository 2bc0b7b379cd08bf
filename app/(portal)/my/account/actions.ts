"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { signIn } from "@/lib/auth";
import { changeDisplayName, changePassword, confirmEmailChange, requestEmailChange } from "@/lib/account";
import { resolvePublicUrl } from "@/lib/settings";

// The end user's account (/my/account) and the email confirmation link (/email-change/[token]).

export const saveName = action.endUser(
  { name: "account.name", schema: z.object({ displayName: z.string().max(400, { error: "validation.tooLong" }) }) },
  async (input, { user, t, ip, userAgent }) => {
    await changeDisplayName(user, input.displayName, { ip, userAgent });
    revalidatePath("/my", "layout");
    return { ok: true, message: t("account.nameSaved") };
  },
);

export const requestEmail = action.endUser(
  { name: "account.email.request", schema: z.object({ email: z.string().max(400, { error: "validation.tooLong" }) }) },
  async (input, { user, t, ip, userAgent }) => {
    const base = await resolvePublicUrl((await headers()).get("host"));
    const { email } = await requestEmailChange(user, input.email, base, { ip, userAgent });
    revalidatePath("/my/account");
    return { ok: true, message: t("account.emailSent", { email }) };
  },
);

export const savePassword = action.endUser(
  {
    name: "account.password",
    schema: z.object({ current: z.string().max(1000), password: z.string().max(1000), confirm: z.string().max(1000) }),
  },
  async (input, { user, ip, userAgent }) => {
    await changePassword(user, { current: input.current, next: input.password, confirm: input.confirm }, { ip, userAgent });
    // The bumped sessionVersion ended every session, this one too: sign this one in again, then
    // load the page afresh (as sign-in does): a re-render in this request still sees the old cookie.
    await signIn("credentials", { email: user.email, password: input.password, redirect: false });
    redirect("/my/account?password=changed");
  },
);

export const confirmEmail = action.public(
  { name: "account.email.change", schema: z.object({ token: z.string().max(200) }) },
  async (input, { t, ip, userAgent }) => {
    const { email } = await confirmEmailChange(input.token, { ip, userAgent });
    return { ok: true, message: t("account.emailChanged", { email }) };
  },
);
