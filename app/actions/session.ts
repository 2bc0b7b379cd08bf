"use server";

import { z } from "zod";
import { signOut } from "@/lib/auth";
import { action } from "@/lib/auth/guard";
import { audit } from "@/lib/audit";

/** Signing out is open to anyone: a visitor whose session already ended just lands on /login. */
export const signOutAction = action.public({ name: "auth.logout", schema: z.object({}) }, async (_input, { user, ip, userAgent }) => {
  if (user) await audit({ actor: { id: user.id, label: user.email }, action: "auth.logout", target: { type: "user", id: user.id, label: user.email }, ip, userAgent });
  await signOut({ redirectTo: "/login?signedOut=1" });
});
