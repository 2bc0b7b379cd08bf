import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { prisma } from "@/lib/db/client";
import { databaseStatus } from "@/lib/db/health";
import { getFormatter, getT } from "@/lib/i18n/server";
import { AuditTable } from "@/components/audit-table";
import { Card, PageHeader } from "@/components/page-header";
import { ExpiryCards } from "@/components/expiry-cards";

export default async function Dashboard() {
  await requireAdmin();
  const [t, fmt] = [await getT(), await getFormatter()];
  const [byRole, recent, db, devices] = await Promise.all([
    prisma().user.groupBy({ by: ["role"], _count: true }),
    prisma().auditEvent.findMany({ orderBy: { id: "desc" }, take: 8 }),
    databaseStatus(),
    prisma().device.groupBy({ by: ["status"], _count: true, orderBy: { status: "asc" } }),
  ]);
  const count = (role: string) => byRole.find((r) => r.role === role)?._count ?? 0;
  return (
    <>
      <PageHeader title={t("dashboard.title")} />
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        <ExpiryCards t={t} fmt={(d) => fmt(d)} />
        <Card title={t("dashboard.devices")}>
          {devices.length === 0 ? (
            <p className="text-sm text-slate-600">{t("dashboard.noDevices")}</p>
          ) : (
            <dl className="grid grid-cols-2 gap-2" data-testid="device-counts">
              {devices.map((d) => (
                <div key={d.status}><dt className="text-sm text-slate-600">{t(`devices.statuses.${d.status}`)}</dt><dd className="text-2xl font-semibold">{d._count}</dd></div>
              ))}
            </dl>
          )}
          <Link href="/admin/devices" className="mt-3 inline-block text-sm text-brand-700 underline">{t("devices.title")}</Link>
        </Card>
        <Card title={t("dashboard.people")}>
          <dl className="grid grid-cols-2 gap-2">
            <div><dt className="text-sm text-slate-600">{t("dashboard.admins")}</dt><dd className="text-2xl font-semibold" data-testid="admin-count">{count("ADMIN")}</dd></div>
            <div><dt className="text-sm text-slate-600">{t("dashboard.endUsers")}</dt><dd className="text-2xl font-semibold">{count("END_USER")}</dd></div>
          </dl>
        </Card>
        <Card title={t("dashboard.system")}>
          <dl className="grid gap-2 text-sm">
            <div><dt className="text-slate-600">{t("dashboard.database")}</dt><dd>{db.reachable ? t("dashboard.databaseOk") : "—"}</dd></div>
            <div><dt className="text-slate-600">{t("dashboard.schema")}</dt><dd className="break-all font-mono text-xs">{db.applied ?? "—"}</dd></div>
          </dl>
        </Card>
        <Card title={t("dashboard.recentActivity")} className="md:col-span-2">
          {recent.length ? <AuditTable events={recent} t={t} fmt={(d) => fmt(d, "short")} compact /> : <p className="text-sm text-slate-600">{t("dashboard.noActivity")}</p>}
          <Link href="/admin/audit" className="mt-3 inline-block text-sm text-brand-700 underline">{t("dashboard.viewAudit")}</Link>
        </Card>
      </div>
    </>
  );
}
