import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { prisma } from "@/lib/db/client";
import { databaseStatus } from "@/lib/db/health";
import { getFormatter, getT } from "@/lib/i18n/server";
import { enrollmentStage } from "@/lib/enrollment/service";
import { licenseUsage } from "@/lib/licenses";
import { certificateDays, dashboardCharts, dashboardFleetCounts, type Bar } from "@/lib/dashboard/charts";
import { BarChart } from "@/components/bar-chart";
import type { T } from "@/lib/i18n";
import { errorChainText } from "@/lib/mdm/results";
import { DeviceStatus, Platform } from "@/lib/db/client";
import { AuditTable } from "@/components/audit-table";
import { Card, PageHeader } from "@/components/page-header";
import { ExpiryCards } from "@/components/expiry-cards";
import { LicenseCard } from "@/components/licenses";
import { SetupChecklist } from "@/components/setup-checklist";
import { checklistComplete, setupChecklist } from "@/lib/setup-checklist";

const LIST = 10;
const TH = "py-2 pr-3 font-medium";
const TD = "py-2 pr-3";

/** A chart's bars with their labels in the admin's language. */
function labelled(t: T, bars: Bar[]) {
  return bars.map((b) => ({ label: "key" in b.label ? t(b.label.key) : b.label.text, value: b.value, href: b.href }));
}

export default async function Dashboard() {
  await view.admin("/admin");
  const [t, fmt] = [await getT(), await getFormatter()];
  // One pass over devices serves the status and platform cards, the licenses and the checklist.
  const fleetP = dashboardFleetCounts();
  // Users by role and state: the cards and the checklist's "active end users" from one read.
  const byRoleP = prisma().user.groupBy({ by: ["role", "disabled"], _count: true });
  const [byRole, recent, db, fleet, enrollments, failed, licenses, checklist, charts, certs] = await Promise.all([
    byRoleP,
    prisma().auditEvent.findMany({ orderBy: { id: "desc" }, take: 8 }),
    databaseStatus(),
    fleetP,
    prisma().enrollment.findMany({
      orderBy: { createdAt: "desc" },
      take: LIST,
      include: { user: { select: { email: true, displayName: true } }, devices: { select: { id: true } } },
    }),
    prisma().command.findMany({
      // Newest queued first: an index range (status, created_at), however many commands failed.
      where: { status: "ERROR" },
      orderBy: { createdAt: "desc" },
      take: LIST,
      include: { device: { select: { id: true, name: true, serialNumber: true, udid: true } } },
    }),
    fleetP.then((f) => licenseUsage(f.managed)),
    Promise.all([fleetP, byRoleP]).then(([f, r]) => setupChecklist(new Date(), { activeAppleDevices: f.activeApple, activeEndUsers: r.find((x) => x.role === "END_USER" && !x.disabled)?._count ?? 0 })),
    fleetP.then((f) => dashboardCharts(f)),
    certificateDays(),
  ]);
  const count = (role: string) => byRole.filter((r) => r.role === role).reduce((n, r) => n + r._count, 0);
  const statusCount = (s: DeviceStatus) => fleet.byStatus[s];
  // Platforms of the devices under management: retired and wiped ones no longer count.
  const platformCount = (p: Platform) => fleet.byPlatform[p];
  const anyDevice = Object.values(fleet.byStatus).some((n) => n > 0);
  return (
    <>
      <PageHeader title={t("dashboard.title")} />
      <div className="grid grid-flow-row-dense grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-3">
        {!checklistComplete(checklist) && (
          <Card title={t("checklist.title")} className="md:col-span-2 xl:col-span-3">
            <p className="mb-1 text-sm text-slate-600">{t("checklist.intro")}</p>
            <SetupChecklist t={t} items={checklist} />
            <p><Link href="/admin/setup-status" className="text-sm text-brand-700 underline">{t("checklist.open")}</Link></p>
          </Card>
        )}
        <ExpiryCards t={t} fmt={(d) => fmt(d)} />
        <LicenseCard usage={licenses} t={t} />
        <Card title={t("dashboard.devices")} className="md:col-span-2">
          {!anyDevice && <p className="mb-3 text-sm text-slate-600">{t("dashboard.noDevices")}</p>}
          <div className="grid gap-4 sm:grid-cols-2">
            <section aria-labelledby="by-status">
              <h3 id="by-status" className="mb-2 text-sm font-medium text-slate-700">{t("dashboard.byStatus")}</h3>
              <dl className="grid grid-cols-3 gap-2" data-testid="device-counts">
                {Object.values(DeviceStatus).map((s) => (
                  <div key={s} data-testid={`status-${s}`}>
                    <dt className="text-xs text-slate-600">{t(`devices.statuses.${s}`)}</dt>
                    <dd className={`text-2xl font-semibold ${statusCount(s) ? "" : "text-slate-500"}`}>{statusCount(s)}</dd>
                  </div>
                ))}
              </dl>
            </section>
            <section aria-labelledby="by-platform">
              <h3 id="by-platform" className="mb-2 text-sm font-medium text-slate-700">{t("dashboard.byPlatform")}</h3>
              <dl className="grid grid-cols-3 gap-2" data-testid="platform-counts">
                {Object.values(Platform).map((p) => (
                  <div key={p} data-testid={`platform-${p}`}>
                    <dt className="text-xs text-slate-600">{t(`devices.platforms.${p}`)}</dt>
                    <dd className={`text-2xl font-semibold ${platformCount(p) ? "" : "text-slate-500"}`}>{platformCount(p)}</dd>
                  </div>
                ))}
              </dl>
              <p className="mt-2 text-xs text-slate-600">{t("dashboard.platformNote")}</p>
            </section>
          </div>
          <Link href="/admin/devices" className="mt-3 inline-block text-sm text-brand-700 underline">{t("devices.title")}</Link>
        </Card>
        <Card title={t("dashboard.charts.title")} className="md:col-span-2 xl:col-span-3">
          <div className="grid gap-6 md:grid-cols-2 xl:grid-cols-3" data-testid="dashboard-charts">
            <BarChart id="status" title={t("dashboard.charts.status")} bars={labelled(t, charts.status)} empty={t("dashboard.charts.empty")} />
            <BarChart id="platform" title={t("dashboard.charts.platform")} bars={labelled(t, charts.platform)} empty={t("dashboard.charts.empty")} />
            <BarChart id="os" title={t("dashboard.charts.os")} bars={labelled(t, charts.os)} horizontal empty={t("dashboard.charts.empty")} />
            <BarChart id="enrollments" title={t("dashboard.charts.enrollments")} bars={labelled(t, charts.enrollments)} empty={t("dashboard.charts.empty")} />
            <BarChart id="failures" title={t("dashboard.charts.failures")} bars={labelled(t, charts.failures)} horizontal empty={t("dashboard.charts.empty")} />
            <BarChart id="certificates" title={t("dashboard.charts.certificates")} bars={labelled(t, certs)} horizontal empty={t("dashboard.charts.empty")} />
          </div>
        </Card>
        <Card title={t("dashboard.recentEnrollments")} className="md:col-span-2">
          {enrollments.length === 0 ? (
            <p className="text-sm text-slate-600">{t("dashboard.noEnrollments")}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm" data-testid="recent-enrollments">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>
                    <th scope="col" className={TH}>{t("enrollment.when")}</th>
                    <th scope="col" className={TH}>{t("enrollment.user")}</th>
                    <th scope="col" className={TH}>{t("enrollment.platform")}</th>
                    <th scope="col" className={TH}>{t("enrollment.status")}</th>
                  </tr>
                </thead>
                <tbody>
                  {enrollments.map((e) => (
                    <tr key={e.id} className="border-b border-slate-100 align-top" data-testid="recent-enrollment-row">
                      <td className={`${TD} whitespace-nowrap`}>{fmt(e.createdAt, "short")}</td>
                      <td className={`${TD} min-w-40 break-words`}>{e.user ? `${e.user.displayName} (${e.user.email})` : t("enrollment.noOwner")}</td>
                      <td className={`${TD} whitespace-nowrap`}>{e.platform ? t(`devices.platforms.${e.platform}`) : t("enrollment.anyPlatform")}</td>
                      <td className={TD}>{t(`enrollment.statuses.${enrollmentStage(e)}`)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Link href="/admin/enrollment" className="mt-3 inline-block text-sm text-brand-700 underline">{t("dashboard.viewEnrollment")}</Link>
        </Card>
        <Card title={t("dashboard.people")}>
          <dl className="grid grid-cols-2 gap-2">
            <div><dt className="text-sm text-slate-600">{t("dashboard.admins")}</dt><dd className="text-2xl font-semibold" data-testid="admin-count">{count("ADMIN")}</dd></div>
            <div><dt className="text-sm text-slate-600">{t("dashboard.endUsers")}</dt><dd className="text-2xl font-semibold">{count("END_USER")}</dd></div>
          </dl>
        </Card>
        <Card title={t("dashboard.failedCommands")} className="md:col-span-2 xl:col-span-3">
          {failed.length === 0 ? (
            <p className="text-sm text-slate-600">{t("dashboard.noFailedCommands")}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm" data-testid="failed-commands">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>
                    <th scope="col" className={TH}>{t("dashboard.when")}</th>
                    <th scope="col" className={TH}>{t("dashboard.device")}</th>
                    <th scope="col" className={TH}>{t("dashboard.command")}</th>
                    <th scope="col" className={TH}>{t("dashboard.error")}</th>
                  </tr>
                </thead>
                <tbody>
                  {failed.map((c) => (
                    <tr key={c.id} className="border-b border-slate-100 align-top" data-testid="failed-command-row">
                      <td className={`${TD} whitespace-nowrap`}>{fmt(c.respondedAt ?? c.sentAt ?? c.createdAt, "short")}</td>
                      <td className={`${TD} min-w-32 break-words`}>
                        <Link href={`/admin/devices/${c.device.id}`} className="text-brand-700 underline">{c.device.name ?? c.device.serialNumber ?? c.device.udid ?? t("devices.unnamed")}</Link>
                      </td>
                      <td className={TD}>
                        {t(`deviceDetail.requestTypes.${c.requestType}`)}
                        <span className="block font-mono text-xs text-slate-500">{c.requestType}</span>
                      </td>
                      <td className={`${TD} min-w-48 break-words`}>{errorChainText(c.errorChain) ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card title={t("dashboard.recentActivity")} className="md:col-span-2">
          {recent.length ? <AuditTable events={recent} t={t} fmt={(d) => fmt(d, "short")} compact /> : <p className="text-sm text-slate-600">{t("dashboard.noActivity")}</p>}
          <Link href="/admin/audit" className="mt-3 inline-block text-sm text-brand-700 underline">{t("dashboard.viewAudit")}</Link>
        </Card>
        <Card title={t("dashboard.system")}>
          <dl className="grid gap-2 text-sm">
            <div><dt className="text-slate-600">{t("dashboard.database")}</dt><dd>{db.reachable ? t("dashboard.databaseOk") : "—"}</dd></div>
            <div><dt className="text-slate-600">{t("dashboard.schema")}</dt><dd className="break-all font-mono text-xs">{db.applied ?? "—"}</dd></div>
          </dl>
        </Card>
      </div>
    </>
  );
}
