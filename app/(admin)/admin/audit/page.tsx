import { requireAdmin } from "@/lib/auth/session";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { AuditTable, auditActionLabel } from "@/components/audit-table";
import { Card, PageHeader } from "@/components/page-header";
import { Pager } from "@/components/pager";
import type { Prisma } from "@/lib/db/generated/client";

const PAGE_SIZE = 50;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireAdmin("/admin/audit");
  const [t, fmt] = [await getT(), await getFormatter()];
  const sp = await searchParams;
  const action = sp.action?.slice(0, 100) || "";
  const actor = sp.actor?.slice(0, 320) || "";
  const page = Math.max(1, Math.min(10_000, Number(sp.page) || 1));
  const where: Prisma.AuditEventWhereInput = {
    ...(action && { action }),
    ...(actor && { actorLabel: { contains: actor, mode: "insensitive" } }),
  };
  const [events, total, actions] = await Promise.all([
    prisma().auditEvent.findMany({ where, orderBy: { id: "desc" }, take: PAGE_SIZE, skip: (page - 1) * PAGE_SIZE }),
    prisma().auditEvent.count({ where }),
    prisma().auditEvent.findMany({ distinct: ["action"], select: { action: true }, orderBy: { action: "asc" } }),
  ]);
  return (
    <>
      <PageHeader title={t("audit.title")} intro={t("audit.intro")} />
      <Card>
        <form className="mb-4 flex flex-wrap items-end gap-3" role="search">
          <label className="flex flex-col gap-1 text-sm">
            {t("audit.filterAction")}
            <select name="action" defaultValue={action} className="min-h-11 rounded-lg border border-slate-300 bg-white px-3">
              <option value="">{t("audit.allActions")}</option>
              {actions.map((a) => <option key={a.action} value={a.action}>{auditActionLabel(t, a.action)}</option>)}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm">
            {t("audit.filterActor")}
            <input name="actor" defaultValue={actor} className="min-h-11 rounded-lg border border-slate-300 px-3" />
          </label>
          <button className="min-h-11 rounded-lg bg-slate-800 px-4 text-white">{t("audit.filter")}</button>
        </form>
        {events.length ? <AuditTable events={events} t={t} fmt={(d) => fmt(d)} /> : <p className="text-sm text-slate-600">{t("audit.empty")}</p>}
        <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} params={{ action, actor }} t={t} />
      </Card>
    </>
  );
}
