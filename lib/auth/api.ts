import { currentUser } from "./session";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";
import type { User } from "@/lib/db/generated/client";

/**
 * For admin route handlers (never device endpoints): the admin, or a JSON refusal.
 * Signed out: 401; signed in without the role: 403, audited.
 */
export async function adminOrRefusal(action: string): Promise<User | Response> {
  const user = await currentUser();
  if (user?.role === "ADMIN") return user;
  if (user) await audit({ actor: { id: user.id, label: user.email }, action, result: "DENIED", ...(await requestContext()) });
  return Response.json({ error: user ? "forbidden" : "signedOut" }, { status: user ? 403 : 401 });
}
