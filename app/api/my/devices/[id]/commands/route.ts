import { route, RouteError } from "@/lib/auth/guard";
import { ownDevice } from "@/lib/auth/owner";
import { myDeviceStatus } from "@/lib/portal/devices";

export const dynamic = "force-dynamic";

/**
 * What the portal's device page polls for live command status. Only the device's owner gets
 * an answer; for anyone else the device does not exist (404), and the attempt is audited.
 */
export const GET = route.endUser("portal.status", async (_req, { user, params, ip, userAgent }) => {
  const device = await ownDevice(user, params.id ?? "", { action: "portal.status", ip, userAgent });
  if (!device) throw new RouteError(404, "portal.deviceNotFound");
  return Response.json(await myDeviceStatus(user, device), { headers: { "cache-control": "no-store" } });
});
