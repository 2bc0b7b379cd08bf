import { route, RouteError } from "@/lib/auth/guard";
import { deviceListLive } from "@/lib/devices/markers";
import { PAGE_SIZES } from "@/lib/devices/query";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/** The version of the device list's visible rows (ids in the query), polled by components/live-refresh.tsx. */
export const GET = route.admin("device.listLive", async (req) => {
  const ids = (new URL(req.url).searchParams.get("ids") ?? "").split(",").filter(Boolean);
  if (ids.length > Math.max(...PAGE_SIZES) || !ids.every(isUuid)) throw new RouteError(400, "device.filterInvalid", { field: "ids" });
  return Response.json(await deviceListLive(ids), { headers: { "cache-control": "no-store" } });
});
