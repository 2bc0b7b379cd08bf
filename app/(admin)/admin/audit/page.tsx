import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT, getTimeZone } from "@/lib/i18n/server";
import { AUDIT_COUNT_CAP, AUDIT_RESULTS, auditActionLabel, auditFilterChoices, auditFilterParams, auditWhere, findAuditEvents, invalidTimeBounds, parseAuditFilter } from "@/lib/audit/query";
import { AuditTable } from "@/components/audit-table";
import { Card, PageHeader } from "@/components/page-header";
import { Pager } from "@/components/pager";
import { SelectField } from "@/components/field";

const PAGE_SIZE = 50;
const INPUT = "min-h-11 rounded-lg border border-slate-300 bg-white px-3";

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await view.admin("/admin/audit");
  const [t, fmt, timeZone] = [await getT(), await getFormatter(), await getTimeZone()];
  const sp = await searchParams;
  const filter = parseAuditFilter(sp);
  const params = auditFilterParams(filter);
  const page = Math.max(1, Math.min(AUDIT_COUNT_CAP / PAGE_SIZE, Number(sp.page) || 1));
  const badBounds = invalidTimeBounds(filter, timeZone);
  const [{ events, total, capped }, choices] = await Promise.all([findAuditEvents(auditWhere(filter, timeZone), page, PAGE_SIZE), auditFilterChoices()]);
  const exportHref = "/api/admin/audit/export" + (Object.keys(params).length ? "?" + new URLSearchParams(params).toString() : "");
  return (
    <>
      <PageHeader title={t("audit.title")} intro={t("audit.intro")} />
      <Card>
        <form className="mb-4 flex flex-wrap items-end gap-3" role="search" data-testid="audit-filter">
          <label className="flex flex-col gap-1 text-sm">
            {t("audit.filterActor")}
            <input name="actor" defaultValue={filter.actor} className={INPUT} />
          </label>
          <SelectField label={t("audit.filterAction")} name="action" defaultValue={filter.action} options={[["", t("audit.allActions")], ...choices.actions.map((a) => [a, auditActionLabel(t, a)] as const)]} />
          <SelectField label={t("audit.filterTargetType")} name="targetType" defaultValue={filter.targetType} options={[["", t("audit.allTargetTypes")], ...choices.targetTypes.map((k) => [k, targetTypeLabel(t, k)] as const)]} />
          <label className="flex flex-col gap-1 text-sm">
            {t("audit.filterTarget")}
            <input name="target" defaultValue={filter.target} className={INPUT} />
          </label>
          <SelectField label={t("audit.filterResult")} name="result" defaultValue={filter.result} options={[["", t("audit.allResults")], ...AUDIT_RESULTS.map((r) => [r, t(`audit.results.${r}`)] as const)]} />
          <label className="flex flex-col gap-1 text-sm">
            {t("audit.filterFrom")}
            <input type="datetime-local" name="from" defaultValue={filter.from} aria-invalid={badBounds.includes("from") || undefined} className={INPUT} />
          </label>
          <label className="flex flex-col gap-1 text-sm">
            {t("audit.filterTo")}
            <input type="datetime-local" name="to" defaultValue={filter.to} aria-invalid={badBounds.includes("to") || undefined} className={INPUT} />
          </label>
          <div className="flex items-center gap-3">
            <button className="min-h-11 rounded-lg bg-slate-800 px-4 text-white">{t("audit.filter")}</button>
            <Link href="/admin/audit" className="text-sm text-brand-700 underline">{t("audit.clear")}</Link>
          </div>
        </form>
        <p className="mb-3 text-xs text-slate-600">{t("audit.timeZoneHint", { timeZone })}</p>
        {badBounds.length > 0 && <p role="alert" className="mb-3 rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200">{t("audit.badTime")}</p>}
        <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm text-slate-700" data-testid="audit-total">{t(capped ? "audit.totalAtLeast" : "audit.total", { count: total })}</p>
          <a href={exportHref} download className="rounded-lg px-3 py-2 text-sm font-medium text-brand-700 ring-1 ring-slate-300 hover:bg-slate-100" data-testid="audit-export">{t("audit.export")}</a>
        </div>
        {events.length ? <AuditTable events={events} t={t} fmt={(d) => fmt(d)} /> : <p className="text-sm text-slate-600">{t("audit.empty")}</p>}
        <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} params={params} t={t} />
      </Card>
    </>
  );
}

function targetTypeLabel(t: (k: string) => string, type: string): string {
  const key = `audit.targetTypes.${type}`;
  const text = t(key);
  return text === key ? type : text;
}
