import { route } from "@/lib/auth/guard";
import { audit } from "@/lib/audit";
import { prisma } from "@/lib/db/client";
import { deviceCsvStream } from "@/lib/devices/export";
import { deviceWhere, filterQuery, loadQueryContext, parseDeviceFilter } from "@/lib/devices/query";
import { getT, getTimeZone } from "@/lib/i18n/server";
import { download } from "@/lib/http/download";

export const dynamic = "force-dynamic";

/** The device list's filtered set as CSV (same query string as /admin/devices), streamed. */
// A filter the list would not accept is a UserError: the guard answers it 400.
export const GET = route.admin("device.export", async (req, { user, ip, userAgent }) => {
  const filter = parseDeviceFilter(new URL(req.url).searchParams, "strict");
  const ctx = await loadQueryContext(filter);
  const where = deviceWhere(filter, ctx);
  const matching = await prisma().device.count({ where });
  await audit({
    actor: { id: user.id, label: user.email },
    action: "device.export",
    target: { type: "device", label: "CSV" },
    details: { filter: filterQuery(filter, { page: false, sort: false }), matching },
    ip,
    userAgent,
  });
  const [t, timeZone] = [await getT(), await getTimeZone()];
  const day = new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short" }).format(new Date()).replaceAll("-", "");
  return download(deviceCsvStream(where, { t, timeZone, activeTopic: ctx.activeTopic }), `mamori-devices-${day}.csv`, "text/csv; charset=utf-8");
});
