"use server";

import { redirect } from "next/navigation";
import { formAction } from "@/lib/actions";
import { completeSetup, setupSchema } from "@/lib/setup";
import { signIn } from "@/lib/auth";

export const setupAction = formAction({ name: "setup.complete", role: "anonymous", schema: setupSchema }, async (input, ctx) => {
  const user = await completeSetup(input, ctx);
  await signIn("credentials", { email: user.email, password: input.password, redirect: false });
  redirect("/admin");
});
