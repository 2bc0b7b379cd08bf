"use server";

import { redirect } from "next/navigation";
import { action } from "@/lib/auth/guard";
import { completeSetup, setupSchema } from "@/lib/setup";
import { signIn } from "@/lib/auth";

export const setupAction = action.public({ name: "setup.complete", schema: setupSchema }, async (input, ctx) => {
  const user = await completeSetup(input, ctx);
  await signIn("credentials", { email: user.email, password: input.password, redirect: false });
  redirect("/admin");
});
