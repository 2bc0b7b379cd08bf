import { audit } from "@/lib/audit";
import { auditActionLabel, auditEventBatches, auditFilterParams, auditWhere, latestAuditId, parseAuditFilter } from "@/lib/audit/query";
import { route } from "@/lib/auth/guard";
import { csvLine, UTF8_BOM } from "@/lib/csv";
import { getT, getTimeZone } from "@/lib/i18n/server";
import { download } from "@/lib/http/download";
import { formatWallTime } from "@/lib/time";

export const dynamic = "force-dynamic";

/**
 * The audit log's filtered set as CSV (the page's filters, in the admin's time zone), streamed
 * in batches. Admins only; the export is itself audited, and stops at the event before it.
 */
export const GET = route.admin("audit.export", async (req, { user, ip, userAgent }) => {
  const [t, timeZone] = [await getT(), await getTimeZone()];
  const filter = parseAuditFilter(new URL(req.url).searchParams);
  const where = auditWhere(filter, timeZone);
  const maxId = await latestAuditId();
  await audit({ actor: { id: user.id, label: user.email }, action: "audit.export", target: { type: "auditLog", label: "audit log" }, details: { filter: auditFilterParams(filter), timeZone }, ip, userAgent });

  const header = [
    t("audit.csv.at", { timeZone }), t("audit.csv.utc"), t("audit.actor"), t("audit.csv.actorId"), t("audit.csv.actionCode"), t("audit.action"),
    t("audit.csv.targetType"), t("audit.csv.targetId"), t("audit.target"), t("audit.result"), t("audit.address"), t("audit.csv.userAgent"), t("audit.csv.details"),
  ];
  const encoder = new TextEncoder();
  const batches = auditEventBatches(where, maxId);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(UTF8_BOM + csvLine(header)));
    },
    async pull(controller) {
      const next = await batches.next();
      if (next.done) return controller.close();
      const text = next.value
        .map((e) => csvLine([
          formatWallTime(e.at, timeZone), e.at.toISOString(), e.actorLabel, e.actorId, e.action, auditActionLabel(t, e.action),
          e.targetType, e.targetId, e.targetLabel, t(`audit.results.${e.result}`), e.ip, e.userAgent, e.details,
        ]))
        .join("");
      controller.enqueue(encoder.encode(text));
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
  const stamp = formatWallTime(new Date(), timeZone).replace(/[-: ]/g, "").slice(0, 12);
  return download(body, `mamori-audit-${stamp}.csv`, "text/csv; charset=utf-8");
});
