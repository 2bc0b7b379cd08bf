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

/**
 * An admin-only file download: refused like any admin route, 404 when there is nothing to
 * give, audited when given.
 */
export async function adminDownload(
  action: string,
  target: { type: string; label: string },
  produce: () => Promise<string | null>,
  file: { name: string; contentType: string; missing: string },
): Promise<Response> {
  const user = await adminOrRefusal(action);
  if (user instanceof Response) return user;
  const body = await produce();
  if (!body) return Response.json({ error: file.missing }, { status: 404 });
  await audit({ actor: { id: user.id, label: user.email }, action, target, ...(await requestContext()) });
  return new Response(body, {
    headers: { "content-type": file.contentType, "content-disposition": `attachment; filename="${file.name}"`, "cache-control": "no-store" },
  });
}
