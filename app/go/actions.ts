"use server";

import { redirect } from "next/navigation";
import { AuthError, CredentialsSignin } from "next-auth";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { signIn } from "@/lib/auth";
import { findLoginUser, normalizeEmail } from "@/lib/auth/login";
import { verifyPin } from "@/lib/invitations/service";
import { continueAsSignedIn, issueTicket, setPasswordWithTicket } from "@/lib/invitations/tickets";
import { goCookie, setGoCookie } from "./cookie";

// /go: the user proves who they are with email + PIN (from the invitation) or email +
// password, and gets a short ticket for the profile download. A password (given or newly
// set) also signs them in, so the self-service portal is one tap away afterwards.

const email = z.string().trim().min(1, "validation.required").max(320, "validation.tooLong");

export const goPinAction = action.public(
  { name: "invitation.pin", schema: z.object({ email, pin: z.string().trim().min(1, "validation.required").max(20, "validation.tooLong") }) },
  async (input, { ip, userAgent }) => {
    const r = await verifyPin(input.email, input.pin.replace(/\s+/g, ""), { ip, userAgent });
    const ticket = await issueTicket(r.userId, "GO", { id: r.userId, label: normalizeEmail(input.email) }, { needsPassword: r.needsPassword });
    await setGoCookie(ticket.secret);
    redirect(r.needsPassword ? "/go/password" : "/go/device");
  },
);

async function signInWithPassword(emailInput: string, password: string, t: (k: string, p?: Record<string, string | number>) => string) {
  try {
    await signIn("credentials", { email: emailInput, password, redirect: false });
    return null;
  } catch (e) {
    if (e instanceof AuthError) {
      const [key, minutes] = ((e as CredentialsSignin).code ?? "login.invalid").split(":");
      return t(`errors.${key}`, { minutes: minutes ?? "" });
    }
    throw e;
  }
}

export const goPasswordAction = action.public(
  { name: "auth.login", schema: z.object({ email, password: z.string().min(1, "validation.required").max(1000, "validation.tooLong") }) },
  async (input, { t }) => {
    const refused = await signInWithPassword(input.email, input.password, t);
    if (refused) return { ok: false, error: refused };
    // Signed in by email or (directory users) by username: the same lookup sign-in used.
    const user = await findLoginUser(input.email);
    if (!user) return { ok: false, error: t("errors.login.invalid") };
    const ticket = await issueTicket(user.id, "GO", { id: user.id, label: user.email });
    await setGoCookie(ticket.secret);
    redirect("/go/device");
  },
);

export const goSetPasswordAction = action.public(
  { name: "user.password_set", schema: z.object({ password: z.string().min(1, "validation.required").max(1000, "validation.tooLong"), confirm: z.string().max(1000).default("") }) },
  async (input, { ip, userAgent, t }) => {
    const user = await setPasswordWithTicket(await goCookie(), input.password, { ip, userAgent }, new Date(), input.confirm);
    const refused = await signInWithPassword(user.email, input.password, t);
    if (refused) return { ok: false, error: refused };
    redirect("/go/device");
  },
);

/** Already signed in (portal or console): continue as that user without typing anything. */
export const goContinueAction = action.user({ name: "enrollment.go", schema: z.object({}) }, async (_input, { user, ip, userAgent }) => {
  const ticket = await continueAsSignedIn(user, { ip, userAgent });
  await setGoCookie(ticket.secret);
  redirect("/go/device");
});
