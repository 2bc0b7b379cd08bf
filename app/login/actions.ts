"use server";

import { redirect } from "next/navigation";
import { AuthError, CredentialsSignin } from "next-auth";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { signIn } from "@/lib/auth";
import { findLoginUser } from "@/lib/auth/login";
import { safeCallback } from "@/lib/navigation";

const schema = z.object({
  email: z.string().trim().min(1, "validation.required").max(320, "validation.tooLong"),
  password: z.string().min(1, "validation.required").max(1000, "validation.tooLong"),
  callbackUrl: z.string().optional(),
});

export const loginAction = action.public({ name: "auth.login", schema }, async (input, { t }) => {
  try {
    await signIn("credentials", { email: input.email, password: input.password, redirect: false });
  } catch (e) {
    if (e instanceof AuthError) {
      const [key, minutes] = ((e as CredentialsSignin).code ?? "login.invalid").split(":");
      return { ok: false, error: t(`errors.${key}`, { minutes: minutes ?? "" }) };
    }
    throw e;
  }
  // Signed in by email or username: the same lookup as the sign-in itself.
  const user = await findLoginUser(input.email);
  redirect(safeCallback(input.callbackUrl, user?.role ?? "END_USER"));
});
