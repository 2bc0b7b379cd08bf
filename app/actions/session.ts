"use server";

import { signOut } from "@/lib/auth";
import { currentUser } from "@/lib/auth/session";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";

export async function signOutAction() {
  const user = await currentUser();
  if (user) await audit({ actor: { id: user.id, label: user.email }, action: "auth.logout", target: { type: "user", id: user.id, label: user.email }, ...(await requestContext()) });
  await signOut({ redirectTo: "/login?signedOut=1" });
}
