import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { BULK_ACTIONS, BULK_MAX, CONFIRM_BY_COUNT } from "@/lib/devices/bulk";
import {
  DEFAULT_SORT, filterQuery, isTopicMismatch, listDevices, loadQueryContext, osVersions, parseDeviceFilter,
  type DeviceFilter, type DeviceSort,
} from "@/lib/devices/query";
import { Card, PageHeader } from "@/components/page-header";
import { Field, SelectField } from "@/components/field";
import { Pager } from "@/components/pager";
import { DeviceStatus, Platform } from "@/lib/db/generated/enums";
import type { T } from "@/lib/i18n";
import { bulkDeviceAction } from "./actions";
import { FilterForm } from "./filter-form";
import { BulkPanel, PageCheckbox, RowCheckbox, SelectionProvider } from "./selection";
import { Badge, DEVICE_TONE } from "@/components/badge";


/** A column header that sorts by it; a second click reverses the order. */
function SortHeader({ f, column, label, t }: { f: DeviceFilter; column: DeviceSort; label: string; t: T }) {
  const active = f.sort === column;
  const dir = active ? (f.dir === "asc" ? "desc" : "asc") : column === "lastCheckIn" ? "desc" : "asc";
  const href = "?" + new URLSearchParams({ ...filterQuery({ ...f, page: 1 }, { sort: false }), sort: column, dir }).toString();
  return (
    <th scope="col" className="py-2 pr-3 font-medium whitespace-nowrap" aria-sort={active ? (f.dir === "asc" ? "ascending" : "descending") : undefined}>
      <Link href={href} className="inline-flex items-center gap-1 hover:text-brand-700" title={t(`devices.sort.${dir}`)}>
        {label}
        <span aria-hidden className={active ? "text-brand-700" : "text-slate-300"}>{active ? (f.dir === "asc" ? "▲" : "▼") : "↕"}</span>
      </Link>
    </th>
  );
}

export default async function DevicesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await view.admin("/admin/devices");
  const [t, fmt] = [await getT(), await getFormatter()];
  const f = parseDeviceFilter(await searchParams);
  const ctx = await loadQueryContext(f);
  const [{ devices, total, page, pages }, versions] = await Promise.all([listDevices(f, ctx), osVersions()]);
  const active = ctx.activeTopic;
  const filterOnly = filterQuery(f, { page: false });
  const exportHref = "/api/admin/devices/export?" + new URLSearchParams(filterQuery(f, { page: false, sort: false })).toString();
  const filtered = Object.keys(filterQuery(f, { page: false, sort: false })).length > 0;
  const any = t("devices.filters.any");
  return (
    <>
      <PageHeader title={t("devices.title")} intro={t("devices.intro")} />
      <Card className="mb-6">
        <FilterForm key={new URLSearchParams(filterQuery(f)).toString()} className="flex flex-col gap-4">
          <div className="flex flex-wrap items-end gap-3">
            <div className="w-full max-w-md grow">
              <Field label={t("devices.search")} name="q" type="search" defaultValue={f.q} maxLength={100} />
            </div>
            <button className="min-h-11 rounded-lg bg-slate-800 px-4 text-white">{t("devices.searchButton")}</button>
            {filtered && <Link href="/admin/devices" className="min-h-11 rounded-lg px-4 py-2.5 text-sm ring-1 ring-slate-300 hover:bg-slate-100">{t("devices.filters.clear")}</Link>}
          </div>
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
            <SelectField label={t("devices.platform")} name="platform" defaultValue={f.platform} options={[["", any], ...Object.values(Platform).map((p): [string, string] => [p, t(`devices.platforms.${p}`)])]} />
            <SelectField label={t("devices.status")} name="status" defaultValue={f.status} options={[["", any], ...Object.values(DeviceStatus).map((s): [string, string] => [s, t(`devices.statuses.${s}`)])]} />
            <SelectField label={t("devices.filters.os")} name="os" defaultValue={f.os} options={[["", any], ...versions.map((v): [string, string] => [v, v]), ...(f.os && !versions.includes(f.os) ? [[f.os, f.os] as [string, string]] : [])]} />
            <SelectField label={t("devices.supervised")} name="supervised" defaultValue={f.supervised} options={[["", any], ["yes", t("common.yes")], ["no", t("common.no")]]} />
            <Field label={t("devices.filters.owner")} name="owner" defaultValue={f.owner} hint={t("devices.filters.ownerHint")} maxLength={320} />
            <SelectField label={t("devices.lastCheckIn")} name="checkIn" defaultValue={f.checkIn} options={[["", any], ["older", t("devices.filters.older")], ["newer", t("devices.filters.newer")]]} />
            <Field label={t("devices.filters.days")} name="days" type="number" min={1} max={3650} defaultValue={f.days} />
            <label className="flex min-h-11 items-center gap-2 self-end text-sm text-slate-800">
              <input type="checkbox" name="mismatch" value="1" defaultChecked={!!f.mismatch} className="size-5 accent-brand-600" />
              {t("devices.filters.mismatch")}
            </label>
          </div>
          {(f.sort !== DEFAULT_SORT.sort || f.dir !== DEFAULT_SORT.dir) && (
            <>
              <input type="hidden" name="sort" value={f.sort} />
              <input type="hidden" name="dir" value={f.dir} />
            </>
          )}
        </FilterForm>
      </Card>
      <Card>
        <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm font-semibold" data-testid="device-count">{t("devices.count", { count: total.toLocaleString("en-US") })}</p>
          {total > 0 && (
            <a href={exportHref} download className="min-h-11 rounded-lg px-4 py-2.5 text-sm font-medium ring-1 ring-slate-300 hover:bg-slate-100">{t("devices.export")}</a>
          )}
        </div>
        <SelectionProvider key={new URLSearchParams(filterQuery(f)).toString()} pageIds={devices.map((d) => d.id)} total={total} max={BULK_MAX}>
          {total > 0 && (
            <BulkPanel action={bulkDeviceAction} filter={new URLSearchParams(filterOnly).toString()} actions={BULK_ACTIONS} confirmByCount={CONFIRM_BY_COUNT} />
          )}
          {devices.length === 0 ? (
            <p className="text-sm text-slate-600">{t("devices.none")}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>
                    <th scope="col" className="w-8 py-2 pr-3"><PageCheckbox /></th>
                    <SortHeader f={f} column="name" label={t("devices.name")} t={t} />
                    <th scope="col" className="py-2 pr-3 font-medium whitespace-nowrap">{t("devices.platform")}</th>
                    <SortHeader f={f} column="status" label={t("devices.status")} t={t} />
                    <th scope="col" className="py-2 pr-3 font-medium whitespace-nowrap">{t("devices.owner")}</th>
                    <SortHeader f={f} column="os" label={t("devices.os")} t={t} />
                    <th scope="col" className="py-2 pr-3 font-medium whitespace-nowrap">{t("devices.serial")}</th>
                    <SortHeader f={f} column="lastCheckIn" label={t("devices.lastCheckIn")} t={t} />
                  </tr>
                </thead>
                <tbody>
                  {devices.map((d) => {
                    const unmanageable = isTopicMismatch(d, active);
                    return (
                      <tr key={d.id} className="border-b border-slate-100 align-top" data-testid="device-row">
                        <td className="py-2 pr-3"><RowCheckbox id={d.id} label={d.name ?? d.serialNumber ?? t("devices.unnamed")} /></td>
                        <td className="py-2 pr-3">
                          <Link href={`/admin/devices/${d.id}`} className="font-medium text-brand-700 underline">{d.name ?? t("devices.unnamed")}</Link>
                          {unmanageable && <p className="text-xs font-semibold text-red-700" data-testid="unmanageable">{t("devices.unmanageable")}</p>}
                        </td>
                        <td className="py-2 pr-3 whitespace-nowrap">{t(`devices.platforms.${d.platform}`)}</td>
                        <td className="py-2 pr-3 whitespace-nowrap"><Badge tone={DEVICE_TONE[d.status]}>{t(`devices.statuses.${d.status}`)}</Badge></td>
                        <td className="py-2 pr-3">
                          {d.owner ? <>{d.owner.displayName}<span className="block text-xs text-slate-600">{d.owner.email}</span></> : <span className="text-slate-600" data-testid="no-owner">{t("deviceDetail.noOwner")}</span>}
                        </td>
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
        </SelectionProvider>
        <Pager page={page} pages={pages} params={filterOnly} t={t} />
      </Card>
    </>
  );
}
