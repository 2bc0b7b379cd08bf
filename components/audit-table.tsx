import type { AuditEvent } from "@/lib/db/generated/client";
import type { T } from "@/lib/i18n";
import { auditActionLabel } from "@/lib/audit/query";

const RESULT_STYLE = { SUCCESS: "text-brand-700", FAILURE: "text-red-700", DENIED: "text-amber-700" } as const;

export { auditActionLabel };

/** Shared by the dashboard's recent activity and the audit log page. */
export function AuditTable({ events, t, fmt, compact = false }: {
  events: AuditEvent[];
  t: T;
  fmt: (d: Date) => string;
  compact?: boolean;
}) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-slate-600">
          <tr>
            <th scope="col" className="py-2 pr-3 font-medium">{t("audit.when")}</th>
            <th scope="col" className="py-2 pr-3 font-medium">{t("audit.actor")}</th>
            <th scope="col" className="py-2 pr-3 font-medium">{t("audit.action")}</th>
            {!compact && <th scope="col" className="py-2 pr-3 font-medium">{t("audit.target")}</th>}
            <th scope="col" className="py-2 pr-3 font-medium">{t("audit.result")}</th>
            {!compact && <th scope="col" className="py-2 pr-3 font-medium">{t("audit.address")}</th>}
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={String(e.id)} className="border-b border-slate-100 align-top" data-testid="audit-row">
              <td className="py-2 pr-3 whitespace-nowrap">{fmt(e.at)}</td>
              <td className="py-2 pr-3 break-all">{e.actorLabel}</td>
              <td className="py-2 pr-3">{auditActionLabel(t, e.action)}</td>
              {!compact && <td className="py-2 pr-3 break-all">{e.targetLabel ?? e.targetId ?? ""}</td>}
              <td className={`py-2 pr-3 ${RESULT_STYLE[e.result]}`}>{t(`audit.results.${e.result}`)}</td>
              {!compact && <td className="py-2 pr-3 whitespace-nowrap">{e.ip ?? ""}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
