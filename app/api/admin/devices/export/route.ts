import { adminOrRefusal } from "@/lib/auth/api";
import { audit } from "@/lib/audit";
import { prisma } from "@/lib/db/client";
import { deviceCsvStream } from "@/lib/devices/export";
import { deviceWhere, filterQuery, loadQueryContext, parseDeviceFilter } from "@/lib/devices/query";
import { isUserError } from "@/lib/errors";
import { getT, getTimeZone } from "@/lib/i18n/server";
import { requestContext } from "@/lib/request";

export const dynamic = "force-dynamic";

/** The device list's filtered set as CSV (same query string as /admin/devices), streamed. */
export async function GET(req: Request) {
  const user = await adminOrRefusal("device.export");
  if (user instanceof Response) return user;
  let filter;
  try {
    filter = parseDeviceFilter(new URL(req.url).searchParams, "strict");
  } catch (e) {
    if (isUserError(e)) return Response.json({ error: e.code, ...e.params }, { status: 400 });
    throw e;
  }
  const ctx = await loadQueryContext(filter);
  const where = deviceWhere(filter, ctx);
  const matching = await prisma().device.count({ where });
  await audit({
    actor: { id: user.id, label: user.email },
    action: "device.export",
    target: { type: "device", label: "CSV" },
    details: { filter: filterQuery(filter, { page: false, sort: false }), matching },
    ...(await requestContext()),
  });
  const [t, timeZone] = [await getT(), await getTimeZone()];
  const day = new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short" }).format(new Date()).replaceAll("-", "");
  return new Response(deviceCsvStream(where, { t, timeZone, activeTopic: ctx.activeTopic }), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="mamori-devices-${day}.csv"`,
      "cache-control": "no-store",
    },
  });
}
