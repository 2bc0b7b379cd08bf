import { route, RouteError } from "@/lib/auth/guard";
import { deviceLive } from "@/lib/devices/live";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/** The device page's version, polled by components/live-refresh.tsx: the page re-renders when it changes. */
export const GET = route.admin("device.live", async (_req, { params }) => {
  const live = isUuid(params.id) ? await deviceLive(params.id) : null;
  if (!live) throw new RouteError(404, "device.notFound");
  return Response.json(live, { headers: { "cache-control": "no-store" } });
});
