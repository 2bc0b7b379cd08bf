import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { BULK_ACTIONS, BULK_MAX, CONFIRM_BY_COUNT } from "@/lib/devices/bulk";
import {
  DEFAULT_SORT, PAGE_SIZES, filterQuery, isTopicMismatch, listDevices, loadQueryContext, osVersions, parseDeviceFilter,
  type DeviceFilter, type DeviceSort,
} from "@/lib/devices/query";
import { DEVICE_COLUMNS, chosenColumns, type DeviceColumn } from "@/lib/devices/columns";
import { deviceListState, type DeviceMarkers } from "@/lib/devices/markers";
import { LiveRefresh } from "@/components/live-refresh";
import { Card, PageHeader } from "@/components/page-header";
import { Field, SelectField } from "@/components/field";
import { Pager } from "@/components/pager";
import { DeviceStatus, Platform } from "@/lib/db/generated/enums";
import type { T } from "@/lib/i18n";
import { bulkDeviceAction, saveDeviceColumns } from "./actions";
import { FilterForm, MoreFilters, PageSizeSelect } from "./filter-form";
import { ColumnsForm } from "./columns-form";
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

const TH = "py-2 pr-3 font-medium whitespace-nowrap";
// Cell padding and no-wrap are set once on the table, not on each of up to 1,600 cells: every
// class name is sent twice (HTML and RSC payload).
const TABLE = "w-full text-left text-sm [&_td]:py-2 [&_td]:pr-3 [&_td]:whitespace-nowrap [&_tbody_tr]:border-b [&_tbody_tr]:border-slate-100 [&_tbody_tr]:align-top";
const SORTED: Partial<Record<DeviceColumn, DeviceSort>> = { status: "status", os: "os", lastCheckIn: "lastCheckIn" };
const LABEL: Record<DeviceColumn, string> = {
  platform: "devices.platform", status: "devices.status", owner: "devices.owner", model: "devices.model", os: "devices.os",
  serial: "devices.serial", lastCheckIn: "devices.lastCheckIn", topic: "devices.topic",
};

/** Commands still under way or failed on this device: small badges under its status. */
function Markers({ m, t }: { m: DeviceMarkers | undefined; t: T }) {
  if (!m) return null;
  return (
    <span className="mt-1 flex flex-wrap gap-1" aria-label={t("devices.markers.label")} data-testid="row-markers">
      {m.pending > 0 && <Badge tone="neutral" testId="marker-pending">{t("devices.markers.pending", { count: m.pending })}</Badge>}
      {m.notNow > 0 && <Badge tone="warn" testId="marker-not-now">{t("devices.markers.notNow", { count: m.notNow })}</Badge>}
      {m.failed > 0 && <Badge tone="bad" testId="marker-failed">{t("devices.markers.failed", { count: m.failed })}</Badge>}
    </span>
  );
}

export default async function DevicesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await view.admin("/admin/devices");
  const [t, fmt] = [await getT(), await getFormatter()];
  const f = parseDeviceFilter(await searchParams);
  const ctx = await loadQueryContext(f);
  const [{ devices, total, page, pages }, versions] = await Promise.all([listDevices(f, ctx), osVersions()]);
  const ids = devices.map((d) => d.id);
  // One read of the rows' commands serves the markers and the version the page polls.
  const live = await deviceListState(ids);
  const markers = live.markers;
  const columns = chosenColumns(admin.deviceColumns);
  const active = ctx.activeTopic;
  const filterOnly = filterQuery(f, { page: false });
  const exportHref = "/api/admin/devices/export?" + new URLSearchParams(filterQuery(f, { page: false, sort: false, size: false })).toString();
  const filtered = Object.keys(filterQuery(f, { page: false, sort: false, size: false })).length > 0;
  const more = !!(f.owner || f.checkIn || f.mismatch);
  const any = t("devices.filters.any");
  // A command type's label where the catalog has one (the dashboard's failure chart links here), else as stored.
  const commandName = (type: string) => {
    const key = `deviceDetail.requestTypes.${type}`;
    const label = t(key);
    return label === key ? type : label;
  };
  const cell = (c: DeviceColumn, d: (typeof devices)[number]) => {
    switch (c) {
      case "platform": return <td key={c}>{t(`devices.platforms.${d.platform}`)}</td>;
      case "status": return (
        <td key={c}>
          <Badge tone={DEVICE_TONE[d.status]}>{t(`devices.statuses.${d.status}`)}</Badge>
          <Markers m={markers.get(d.id)} t={t} />
        </td>
      );
      case "owner": return (
        <td key={c} className="whitespace-normal!">
          {d.owner ? <>{d.owner.displayName}<span className="block text-xs text-slate-600">{d.owner.email}</span></> : <span className="text-slate-600" data-testid="no-owner">{t("deviceDetail.noOwner")}</span>}
        </td>
      );
      case "model": return <td key={c}>{d.modelName ?? d.productName ?? d.model ?? "—"}</td>;
      case "os": return <td key={c}>{d.osVersion ?? "—"}</td>;
      case "serial": return <td key={c} className="font-mono text-xs">{d.serialNumber ?? "—"}</td>;
      case "lastCheckIn": return <td key={c}>{d.lastCheckInAt ? fmt(d.lastCheckInAt, "short") : t("devices.never")}</td>;
      case "topic": return <td key={c} className="font-mono text-xs whitespace-normal!">{d.topic ?? "—"}</td>;
    }
  };
  return (
    <>
      <PageHeader title={t("devices.title")} intro={t("devices.intro")} />
      <Card className="mb-4">
        <FilterForm className="flex flex-col gap-3">
          <div className="flex flex-wrap items-end gap-3">
            <div className="min-w-56 grow basis-64">
              <Field label={t("devices.search")} name="q" type="search" defaultValue={f.q} maxLength={100} />
            </div>
            <SelectField label={t("devices.platform")} name="platform" defaultValue={f.platform} options={[["", any], ...Object.values(Platform).map((p): [string, string] => [p, t(`devices.platforms.${p}`)])]} />
            <SelectField label={t("devices.status")} name="status" defaultValue={f.status} options={[["", any], ...Object.values(DeviceStatus).map((s): [string, string] => [s, t(`devices.statuses.${s}`)])]} />
            <SelectField label={t("devices.filters.os")} name="os" defaultValue={f.os} options={[["", any], ...versions.map((v): [string, string] => [v, v]), ...(f.os && !versions.includes(f.os) ? [[f.os, f.os] as [string, string]] : [])]} />
            <SelectField label={t("devices.supervised")} name="supervised" defaultValue={f.supervised} options={[["", any], ["yes", t("common.yes")], ["no", t("common.no")]]} />
            <button className="min-h-11 rounded-lg bg-slate-800 px-4 text-white">{t("devices.searchButton")}</button>
            {filtered && <Link href="/admin/devices" className="min-h-11 rounded-lg px-4 py-2.5 text-sm whitespace-nowrap ring-1 ring-slate-300 hover:bg-slate-100">{t("devices.filters.clear")}</Link>}
          </div>
          <MoreFilters inUse={more} summary={t("devices.filters.more")}>
            <div className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
              <Field label={t("devices.filters.owner")} name="owner" defaultValue={f.owner} hint={t("devices.filters.ownerHint")} maxLength={320} />
              <SelectField label={t("devices.lastCheckIn")} name="checkIn" defaultValue={f.checkIn} options={[["", any], ["older", t("devices.filters.older")], ["newer", t("devices.filters.newer")]]} />
              <Field label={t("devices.filters.days")} name="days" type="number" min={1} max={3650} defaultValue={f.days} />
              <label className="flex min-h-11 items-center gap-2 self-end text-sm text-slate-800">
                <input type="checkbox" name="mismatch" value="1" defaultChecked={!!f.mismatch} className="size-5 accent-brand-600" />
                {t("devices.filters.mismatch")}
              </label>
            </div>
          </MoreFilters>
          {(f.sort !== DEFAULT_SORT.sort || f.dir !== DEFAULT_SORT.dir) && (
            <>
              <input type="hidden" name="sort" value={f.sort} />
              <input type="hidden" name="dir" value={f.dir} />
            </>
          )}
          {f.size !== 50 && <input type="hidden" name="size" value={f.size} />}
          {f.failed && (
            <p className="flex flex-wrap items-center gap-2 text-sm" data-testid="failed-filter">
              <input type="hidden" name="failed" value={f.failed} />
              <Badge tone="bad">{t("devices.filters.failed", { command: commandName(f.failed) })}</Badge>
              <Link href={"?" + new URLSearchParams(filterQuery({ ...f, failed: undefined, page: 1 })).toString()} className="text-brand-700 underline">{t("devices.filters.removeFilter")}</Link>
            </p>
          )}
          {f.managed && (
            <p className="flex flex-wrap items-center gap-2 text-sm" data-testid="managed-filter">
              <input type="hidden" name="managed" value={f.managed} />
              <Badge tone="neutral">{t("devices.filters.managed")}</Badge>
              <Link href={"?" + new URLSearchParams(filterQuery({ ...f, managed: undefined, page: 1 })).toString()} className="text-brand-700 underline">{t("devices.filters.removeFilter")}</Link>
            </p>
          )}
        </FilterForm>
      </Card>
      <Card>
        <div className="mb-3 flex flex-wrap items-center justify-between gap-3">
          <p className="text-sm font-semibold" data-testid="device-count">{t("devices.count", { count: total.toLocaleString("en-US") })}</p>
          <div className="flex flex-wrap items-center gap-3">
            <ColumnsForm action={saveDeviceColumns} columns={DEVICE_COLUMNS.map((c) => ({ id: c, label: t(LABEL[c]), checked: columns.includes(c) }))} />
            {total > 0 && (
              <a href={exportHref} download className="min-h-11 rounded-lg px-4 py-2.5 text-sm font-medium whitespace-nowrap ring-1 ring-slate-300 hover:bg-slate-100">{t("devices.export")}</a>
            )}
          </div>
        </div>
        <LiveRefresh src="/api/admin/devices/live" ids={ids} version={live.version} pending={live.pending} />
        <SelectionProvider key={new URLSearchParams(filterQuery(f)).toString()} pageIds={ids} total={total} max={BULK_MAX}>
          {total > 0 && (
            <BulkPanel action={bulkDeviceAction} filter={new URLSearchParams(filterQuery(f, { page: false, size: false })).toString()} actions={BULK_ACTIONS} confirmByCount={CONFIRM_BY_COUNT} />
          )}
          {devices.length === 0 ? (
            <p className="text-sm text-slate-600">{t("devices.none")}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className={TABLE} data-testid="device-table">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>
                    <th scope="col" className="w-8 py-2 pr-3"><PageCheckbox /></th>
                    <SortHeader f={f} column="name" label={t("devices.name")} t={t} />
                    {columns.map((c) => SORTED[c]
                      ? <SortHeader key={c} f={f} column={SORTED[c]} label={t(LABEL[c])} t={t} />
                      : <th key={c} scope="col" className={TH}>{t(LABEL[c])}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {devices.map((d) => (
                    <tr key={d.id} data-testid="device-row">
                      <td><RowCheckbox id={d.id} label={d.name ?? d.serialNumber ?? t("devices.unnamed")} /></td>
                      <td className="whitespace-normal!">
                        <Link href={`/admin/devices/${d.id}`} className="link">{d.name ?? t("devices.unnamed")}</Link>
                        {isTopicMismatch(d, active) && <p className="text-xs font-semibold text-red-700" data-testid="unmanageable">{t("devices.unmanageable")}</p>}
                      </td>
                      {columns.map((c) => cell(c, d))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </SelectionProvider>
        <div className="flex flex-wrap items-center justify-between gap-3">
          <Pager page={page} pages={pages} params={filterOnly} t={t} />
          <PageSizeSelect sizes={PAGE_SIZES} size={f.size} params={filterOnly} label={t("devices.pageSize")} />
        </div>
      </Card>
    </>
  );
}
