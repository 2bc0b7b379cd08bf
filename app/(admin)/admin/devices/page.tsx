import Link from "next/link";
import { requireAdmin } from "@/lib/auth/session";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { Card, PageHeader } from "@/components/page-header";
import { Pager } from "@/components/pager";
import type { Prisma } from "@/lib/db/generated/client";

const PAGE_SIZE = 50;
const STATUS_STYLE: Record<string, string> = { ACTIVE: "text-brand-700", ENROLLING: "text-slate-700", INACTIVE: "text-amber-800", WIPED: "text-red-700", RETIRED: "text-slate-500" };

export default async function DevicesPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireAdmin("/admin/devices");
  const [t, fmt] = [await getT(), await getFormatter()];
  const sp = await searchParams;
  const q = sp.q?.trim().slice(0, 100) ?? "";
  const page = Math.max(1, Math.min(10_000, Number(sp.page) || 1));
  const where: Prisma.DeviceWhereInput = q
    ? { OR: [{ name: { contains: q, mode: "insensitive" } }, { serialNumber: { contains: q, mode: "insensitive" } }, { owner: { email: { contains: q, mode: "insensitive" } } }, { owner: { displayName: { contains: q, mode: "insensitive" } } }] }
    : {};
  const [devices, total, active] = await Promise.all([
    prisma().device.findMany({ where, orderBy: [{ lastCheckInAt: { sort: "desc", nulls: "last" } }, { id: "asc" }], take: PAGE_SIZE, skip: (page - 1) * PAGE_SIZE, include: { owner: { select: { email: true, displayName: true } } } }),
    prisma().device.count({ where }),
    prisma().pushCertificate.findFirst({ where: { status: "ACTIVE" }, select: { topic: true } }),
  ]);
  const cols = ["name", "platform", "status", "owner", "os", "serial", "lastCheckIn"];
  return (
    <>
      <PageHeader title={t("devices.title")} intro={t("devices.intro")} />
      <Card>
        <form role="search" className="mb-4 flex flex-wrap items-end gap-3">
          <label className="flex flex-col gap-1 text-sm">
            {t("devices.search")}
            <input name="q" defaultValue={q} className="min-h-11 w-72 rounded-lg border border-slate-300 px-3" />
          </label>
          <button className="min-h-11 rounded-lg bg-slate-800 px-4 text-white">{t("devices.searchButton")}</button>
        </form>
        {devices.length === 0 ? (
          <p className="text-sm text-slate-600">{t("devices.none")}</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="border-b border-slate-200 text-slate-600">
                <tr>{cols.map((c) => <th key={c} scope="col" className="py-2 pr-3 font-medium">{t(`devices.${c}`)}</th>)}</tr>
              </thead>
              <tbody>
                {devices.map((d) => {
                  const unmanageable = active && d.topic && d.topic !== active.topic && d.status !== "RETIRED" && d.status !== "WIPED";
                  return (
                    <tr key={d.id} className="border-b border-slate-100 align-top" data-testid="device-row">
                      <td className="py-2 pr-3">
                        <Link href={`/admin/devices/${d.id}`} className="font-medium text-brand-700 underline">{d.name ?? t("devices.unnamed")}</Link>
                        {unmanageable && <p className="text-xs font-semibold text-red-700" data-testid="unmanageable">{t("devices.unmanageable")}</p>}
                      </td>
                      <td className="py-2 pr-3 whitespace-nowrap">{t(`devices.platforms.${d.platform}`)}</td>
                      <td className={`py-2 pr-3 ${STATUS_STYLE[d.status] ?? ""}`}>{t(`devices.statuses.${d.status}`)}</td>
                      <td className="py-2 pr-3 break-all">{d.owner ? `${d.owner.displayName} (${d.owner.email})` : "—"}</td>
                      <td className="py-2 pr-3 whitespace-nowrap">{d.osVersion ?? "—"}</td>
                      <td className="py-2 pr-3 font-mono text-xs">{d.serialNumber ?? "—"}</td>
                      <td className="py-2 pr-3 whitespace-nowrap">{d.lastCheckInAt ? fmt(d.lastCheckInAt, "short") : t("devices.never")}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} params={{ q }} t={t} />
      </Card>
    </>
  );
}
