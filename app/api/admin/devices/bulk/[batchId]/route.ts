import { route, RouteError } from "@/lib/auth/guard";
import { bulkOutcome } from "@/lib/devices/bulk-outcome";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/** A bulk action's outcome so far, polled by the device list's bulk panel until it is finished. */
export const GET = route.admin("device.bulkOutcome", async (_req, { params }) => {
  if (!isUuid(params.batchId)) throw new RouteError(404, "device.bulkNotFound");
  const outcome = await bulkOutcome(params.batchId);
  if (!outcome.devices) throw new RouteError(404, "device.bulkNotFound");
  return Response.json(outcome, { headers: { "cache-control": "no-store" } });
});
