import { currentUser } from "@/lib/auth/session";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";
import { myDeviceStatus } from "@/lib/portal/devices";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/**
 * What the portal's device page polls for live command status. Only the device's owner gets
 * an answer; for anyone else the device does not exist (404), and the attempt is audited.
 */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const user = await currentUser();
  if (!user) return Response.json({ error: "signedOut" }, { status: 401 });
  const id = (await params).id;
  const status = await myDeviceStatus(user, id);
  if (!status) {
    await audit({ actor: { id: user.id, label: user.email }, action: "portal.status", result: "DENIED", target: { type: "device", id: isUuid(id) ? id : null, label: id.slice(0, 64) }, ...(await requestContext()) });
    return Response.json({ error: "notFound" }, { status: 404, headers: { "cache-control": "no-store" } });
  }
  return Response.json(status, { headers: { "cache-control": "no-store" } });
}
