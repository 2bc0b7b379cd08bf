import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { view } from "@/lib/auth/guard";
import { getFormatter, getLocale, getT } from "@/lib/i18n/server";
import { availability, deviceDetail, HISTORY_LIMIT, mapLinks, readInventory, readLocation, summarizeCommand, wipeConfirmationChoices, type Summary } from "@/lib/devices/detail";
import { ActionForm } from "@/components/action-form";
import { AuditTable } from "@/components/audit-table";
import { Card, PageHeader } from "@/components/page-header";
import type { T } from "@/lib/i18n";
import { cancelDeviceCommand } from "./actions";
import { DeviceActions } from "./device-actions";
import { LiveRefresh } from "@/components/live-refresh";
import { Badge, COMMAND_TONE, DEVICE_TONE } from "@/components/badge";
import { deviceLive } from "@/lib/devices/live";

const CANCELLABLE = new Set(["QUEUED", "NOT_NOW"]);
const SOON_DAYS = 30;

type Row = [label: string, value: React.ReactNode, opts?: { mono?: boolean; testId?: string }];

/** A definition list that leaves out what the device never told us. */
function Facts({ rows }: { rows: Row[] }) {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== "");
  return (
    <dl className="grid gap-2 text-sm">
      {shown.map(([label, value, o]) => (
        <div key={label} className="grid gap-x-3 sm:grid-cols-[11rem_1fr]">
          <dt className="text-slate-600">{label}</dt>
          <dd className={o?.mono ? "break-all font-mono text-xs leading-5" : "break-words"} data-testid={o?.testId}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Table({ head, children, testId }: { head: string[]; children: React.ReactNode; testId?: string }) {
  return (
    <div className="overflow-x-auto" data-testid={testId}>
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-slate-600">
          <tr>{head.map((h) => <th key={h} scope="col" className="py-2 pr-3 font-medium whitespace-nowrap">{h}</th>)}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function label(t: T, key: string, fallback: string): string {
  const text = t(key);
  return text === key ? fallback : text;
}

function summaryText(t: T, s: Summary): string {
  if (!s) return "";
  return "text" in s ? s.text : t(s.key, s.params);
}

/** "delivered" or "retryLater:Timeout" as stored by lib/apns/push-service.ts, in words. */
function pushResultText(t: T, raw: string): string {
  const [outcome = "", reason] = raw.split(":", 2);
  const text = label(t, `deviceDetail.push.${outcome}`, outcome);
  return reason ? `${text} (${reason})` : text;
}

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await view.admin(`/admin/devices/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success) notFound();
  // The version first: a change made while the page renders then shows as a new version.
  const live = await deviceLive(id);
  const data = await deviceDetail(id);
  if (!data || !live) notFound();
  const { device: d, commands, events, activeTopic, inventory, lastInventoryAt } = data;
  const [t, fmt, locale] = [await getT(), await getFormatter(), await getLocale()];
  const num = new Intl.NumberFormat(locale === "ja" ? "ja-JP" : "en-US", { maximumFractionDigits: 1 });
  const pct = new Intl.NumberFormat(locale === "ja" ? "ja-JP" : "en-US", { style: "percent" });
  const date = (v: Date | string | null | undefined, style: "short" | "medium" = "medium") => {
    if (!v) return undefined;
    const x = typeof v === "string" ? new Date(v) : v;
    return Number.isNaN(x.getTime()) ? undefined : fmt(x, style);
  };
  const yesNo = (v: boolean | null | undefined) => (v === undefined || v === null ? undefined : t(v ? "common.yes" : "common.no"));
  const gb = (v: number | null | undefined) => (v === undefined || v === null ? undefined : t("deviceDetail.gb", { value: num.format(v) }));
  const mb = (bytes: number | undefined) => (bytes === undefined ? "" : t("deviceDetail.mb", { value: num.format(bytes / 1_000_000) }));

  const inv = readInventory(inventory);
  const info = inv.deviceInformation ?? {};
  const sec = inv.securityInfo;
  const location = readLocation(d.location);
  const managed = d.status !== "RETIRED" && d.status !== "WIPED";
  const unmanageable = managed && !!activeTopic && !!d.topic && d.topic !== activeTopic;
  const isMac = d.platform === "MACOS";
  const name = d.name ?? t("devices.unnamed");
  const model = d.modelName ?? d.productName ?? d.model;
  const now = Date.now();
  const listTitle = (key: string, received: boolean, count: number) => (received ? t("deviceDetail.withCount", { title: t(key), count }) : t(key));
  const notReceived = <p className="text-sm text-slate-600">{t(managed ? "deviceDetail.notReceived" : "deviceDetail.notReceivedUnmanaged")}</p>;

  return (
    <>
      <LiveRefresh src={`/api/admin/devices/${d.id}/live`} version={live.version} pending={live.pending > 0} />
      <p className="mb-2 text-sm"><Link href="/admin/devices" className="text-brand-700 underline">{t("deviceDetail.back")}</Link></p>
      <PageHeader title={name} intro={[model, t(`devices.platforms.${d.platform}`), d.serialNumber].filter(Boolean).join(" · ")} />
      <div className="flex flex-col gap-4">
        {unmanageable && (
          <p role="alert" className="rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200" data-testid="unmanageable">
            <strong>{t("devices.unmanageable")}</strong> {t("deviceDetail.unmanageableDetail")}
          </p>
        )}
        {!managed && <p className="rounded-lg bg-slate-100 p-3 text-sm text-slate-800 ring-1 ring-slate-200" data-testid="not-managed">{t(`deviceDetail.notManaged.${d.status}`)}</p>}
        {managed && d.lostMode && <p className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="lost-mode">{t("deviceDetail.lostModeOn")}</p>}

        <div className="grid gap-4 lg:grid-cols-2">
          <Card title={t("deviceDetail.management")}>
            <Facts rows={[
              [t("devices.status"), <Badge key="s" tone={DEVICE_TONE[d.status]}>{t(`devices.statuses.${d.status}`)}</Badge>, { testId: "device-status" }],
              [t("devices.owner"), d.owner ? `${d.owner.displayName} (${d.owner.email})` : t("deviceDetail.noOwner")],
              [t("deviceDetail.enrolledAt"), date(d.enrolledAt) ?? "—"],
              [t("devices.lastCheckIn"), date(d.lastCheckInAt) ?? t("devices.never")],
              [t("deviceDetail.lastInventory"), date(lastInventoryAt) ?? t("devices.never")],
              [t("deviceDetail.supervised"), yesNo(d.supervised)],
              [t("deviceDetail.lostMode"), d.platform === "IOS" ? yesNo(d.lostMode) : undefined],
              [t("deviceDetail.macUsers"), d.users.map((u) => u.longName ?? u.shortName).filter(Boolean).join(", ")],
              [t("deviceDetail.topic"), d.topic ? (
                <>
                  <span className="font-mono text-xs">{d.topic}</span>
                  {unmanageable && <span className="mt-1 block text-xs font-semibold text-red-700">{t("deviceDetail.topicDiffers", { topic: activeTopic ?? "" })}</span>}
                </>
              ) : "—"],
              [t("deviceDetail.lastPush"), d.lastPushAt ? `${date(d.lastPushAt)} · ${pushResultText(t, d.lastPushResult ?? "")}` : t("devices.never"), { testId: "last-push" }],
              [t("deviceDetail.identityValidTo"), date(d.identityNotAfter)],
            ]} />
          </Card>

          <Card title={t("deviceDetail.hardware")}>
            <Facts rows={[
              [t("deviceDetail.modelName"), d.modelName],
              [t("deviceDetail.model"), d.model, { mono: true }],
              [t("deviceDetail.product"), d.productName, { mono: true }],
              [t("devices.serial"), d.serialNumber, { mono: true }],
              [t("deviceDetail.capacity"), gb(d.capacityGb)],
              [t("deviceDetail.available"), gb(info.availableGb)],
              [t("deviceDetail.battery"), info.batteryLevel === undefined ? undefined : pct.format(info.batteryLevel)],
              [t("deviceDetail.appleSilicon"), isMac ? yesNo(info.appleSilicon) : undefined],
              [t("deviceDetail.udid"), d.udid, { mono: true }],
            ]} />
          </Card>

          <Card title={t("deviceDetail.osAndNetwork")}>
            <Facts rows={[
              [t("deviceDetail.osVersion"), d.osVersion ? `${d.osVersion}${info.supplementalOsVersionExtra ? ` ${info.supplementalOsVersionExtra}` : ""}` : undefined],
              [t("deviceDetail.build"), d.buildVersion, { mono: true }],
              [t("deviceDetail.imei"), d.imei, { mono: true }],
              [t("deviceDetail.meid"), d.meid, { mono: true }],
              [t("deviceDetail.phone"), d.phoneNumber],
              [t("deviceDetail.wifiMac"), info.wifiMac, { mono: true }],
              [t("deviceDetail.bluetoothMac"), info.bluetoothMac, { mono: true }],
              [t("deviceDetail.ethernetMac"), info.ethernetMac, { mono: true }],
            ]} />
          </Card>

          <Card title={t("deviceDetail.security")}>
            {!sec ? (
              notReceived
            ) : (
              <div data-testid="security-info">
                <Facts rows={[
                  [t("deviceDetail.sec.passcodePresent"), yesNo(sec.passcodePresent)],
                  [t("deviceDetail.sec.passcodeCompliant"), yesNo(sec.passcodeCompliant)],
                  [t("deviceDetail.sec.passcodeCompliantWithProfiles"), yesNo(sec.passcodeCompliantWithProfiles)],
                  [t("deviceDetail.sec.dataProtection"), yesNo(sec.dataProtection)],
                  [t("deviceDetail.sec.fileVault"), yesNo(sec.fileVaultEnabled)],
                  [t("deviceDetail.sec.personalRecoveryKey"), yesNo(sec.fileVaultPersonalRecoveryKey)],
                  [t("deviceDetail.sec.institutionalRecoveryKey"), yesNo(sec.fileVaultInstitutionalRecoveryKey)],
                  [t("deviceDetail.sec.sip"), yesNo(sec.systemIntegrityProtection)],
                  [t("deviceDetail.sec.firewall"), yesNo(sec.firewallEnabled)],
                  [t("deviceDetail.sec.firewallBlockAll"), yesNo(sec.firewallBlockAllIncoming)],
                  [t("deviceDetail.sec.firewallStealth"), yesNo(sec.firewallStealthMode)],
                  [t("deviceDetail.sec.firmwarePassword"), yesNo(sec.firmwarePasswordExists)],
                  [t("deviceDetail.sec.recoveryLock"), yesNo(sec.recoveryLockEnabled)],
                  [t("deviceDetail.sec.secureBoot"), sec.secureBootLevel],
                  [t("deviceDetail.sec.activationLock"), yesNo(info.activationLockEnabled)],
                  [t("deviceDetail.sec.findMy"), yesNo(info.findMyEnabled)],
                  [t("deviceDetail.sec.enrolledViaDep"), yesNo(sec.enrolledViaDep)],
                  [t("deviceDetail.sec.userApproved"), yesNo(sec.userApprovedEnrollment)],
                ]} />
              </div>
            )}
          </Card>
        </div>

        <Card title={t("deviceDetail.actionsTitle")}>
          {managed ? (
            <DeviceActions t={t} deviceId={d.id} deviceName={d.name} platform={d.platform} available={availability(d)} confirmWith={wipeConfirmationChoices(d)} />
          ) : (
            <p className="text-sm text-slate-600">{t("deviceDetail.noActions")}</p>
          )}
        </Card>

        {location && (() => {
          const links = mapLinks(location);
          return (
            <Card title={t("deviceDetail.location")}>
              <div data-testid="location">
                <Facts rows={[
                  [t("deviceDetail.coordinates"), `${location.latitude.toFixed(6)}, ${location.longitude.toFixed(6)}`, { mono: true }],
                  [t("deviceDetail.accuracy"), location.horizontalAccuracy === undefined ? undefined : t("deviceDetail.metres", { value: num.format(location.horizontalAccuracy) })],
                  [t("deviceDetail.altitude"), location.altitude === undefined ? undefined : t("deviceDetail.metres", { value: num.format(location.altitude) })],
                  [t("deviceDetail.locatedAt"), date(location.timestamp)],
                  [t("deviceDetail.receivedAt"), date(location.receivedAt)],
                ]} />
                <p className="mt-3 flex flex-wrap gap-4 text-sm">
                  <a href={links.apple} target="_blank" rel="noreferrer" className="text-brand-700 underline">{t("deviceDetail.appleMaps")}</a>
                  <a href={links.osm} target="_blank" rel="noreferrer" className="text-brand-700 underline">{t("deviceDetail.openStreetMap")}</a>
                </p>
              </div>
            </Card>
          );
        })()}

        <Card title={t("deviceDetail.commands")}>
          {commands.length === 0 ? (
            <p className="text-sm text-slate-600">{t("deviceDetail.noCommands")}</p>
          ) : (
            <>
              <Table testId="command-history" head={[t("deviceDetail.cmd.queuedAt"), t("deviceDetail.cmd.type"), t("deviceDetail.cmd.status"), t("deviceDetail.cmd.queuedBy"), t("deviceDetail.cmd.sentAt"), t("deviceDetail.cmd.answeredAt"), t("deviceDetail.cmd.result"), ""]}>
                {commands.map((c) => (
                  <tr key={c.id} className="border-b border-slate-100 align-top" data-testid="command-row" data-type={c.requestType} data-status={c.status}>
                    <td className="py-2 pr-3 whitespace-nowrap">{fmt(c.createdAt, "short")}</td>
                    <td className="py-2 pr-3">
                      {label(t, `deviceDetail.requestTypes.${c.requestType}`, c.requestType)}
                      <span className="block font-mono text-xs text-slate-500">{c.requestType}</span>
                    </td>
                    <td className="py-2 pr-3 whitespace-nowrap">
                      <Badge tone={COMMAND_TONE[c.status]}>{t(`deviceDetail.commandStatuses.${c.status}`)}</Badge>
                      {c.attempts > 1 && <span className="block text-xs font-normal text-slate-500">{t("deviceDetail.cmd.attempts", { count: c.attempts })}</span>}
                    </td>
                    <td className="py-2 pr-3 break-all">{c.queuedByLabel}</td>
                    <td className="py-2 pr-3 whitespace-nowrap">{date(c.sentAt, "short") ?? "—"}</td>
                    <td className="py-2 pr-3 whitespace-nowrap">{date(c.respondedAt, "short") ?? "—"}</td>
                    <td className="py-2 pr-3 break-words" data-testid="command-result">{summaryText(t, summarizeCommand(c))}</td>
                    <td className="py-2 pr-3">
                      {CANCELLABLE.has(c.status) && (
                        <ActionForm action={cancelDeviceCommand} submitLabel={t("deviceDetail.cmd.cancel")} pendingLabel={t("deviceDetail.cmd.cancelling")} variant="secondary" className="flex flex-col gap-1 [&_button]:min-h-9 [&_button]:px-3 [&_button]:text-sm">
                          <input type="hidden" name="deviceId" value={d.id} />
                          <input type="hidden" name="commandId" value={c.id} />
                        </ActionForm>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
              {commands.length >= HISTORY_LIMIT && <p className="mt-2 text-xs text-slate-500">{t("deviceDetail.latestOnly", { count: HISTORY_LIMIT })}</p>}
            </>
          )}
        </Card>

        <Card title={listTitle("deviceDetail.apps", inv.has.applications, inv.applications.length)}>
          {!inv.has.applications ? (
            notReceived
          ) : inv.applications.length === 0 ? (
            <p className="text-sm text-slate-600">{t("common.none")}</p>
          ) : (
            <Table testId="apps" head={[t("deviceDetail.app.name"), t("deviceDetail.app.identifier"), t("deviceDetail.app.version"), t("deviceDetail.app.size")]}>
              {[...inv.applications].sort((a, b) => (a.name ?? a.identifier ?? "").localeCompare(b.name ?? b.identifier ?? "", locale)).map((a, i) => (
                <tr key={`${a.identifier ?? ""}-${i}`} className="border-b border-slate-100 align-top" data-testid="app-row">
                  <td className="py-2 pr-3">{a.name ?? "—"}{a.installing && <span className="ml-2 text-xs text-amber-800">{t("deviceDetail.app.installing")}</span>}</td>
                  <td className="py-2 pr-3 break-all font-mono text-xs leading-5">{a.identifier ?? "—"}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{a.shortVersion ?? a.version ?? "—"}{a.shortVersion && a.version && a.version !== a.shortVersion ? <span className="text-slate-500"> ({a.version})</span> : null}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{mb(a.bundleSize)}</td>
                </tr>
              ))}
            </Table>
          )}
        </Card>

        <div className="grid gap-4 lg:grid-cols-2">
          <Card title={listTitle("deviceDetail.profiles", inv.has.profiles, inv.profiles.length)}>
            {!inv.has.profiles ? (
              notReceived
            ) : inv.profiles.length === 0 ? (
              <p className="text-sm text-slate-600">{t("common.none")}</p>
            ) : (
              <ul className="flex flex-col divide-y divide-slate-100 text-sm" data-testid="profiles">
                {inv.profiles.map((p, i) => (
                  <li key={`${p.identifier}-${i}`} className="py-2" data-testid="profile-row">
                    <p className="font-medium">{p.displayName ?? p.identifier}</p>
                    <p className="break-all font-mono text-xs text-slate-600">{p.identifier}</p>
                    <p className="text-xs text-slate-600">
                      {[p.organization, p.managed ? t("deviceDetail.profile.managed") : null, p.signed ? t("deviceDetail.profile.signed") : null, p.removalDisallowed ? t("deviceDetail.profile.locked") : null, p.payloads.length ? t("deviceDetail.profile.payloads", { count: p.payloads.length }) : null].filter(Boolean).join(" · ")}
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </Card>

          <Card title={listTitle("deviceDetail.certificates", inv.has.certificates, inv.certificates.length)}>
            {!inv.has.certificates ? (
              notReceived
            ) : inv.certificates.length === 0 ? (
              <p className="text-sm text-slate-600">{t("common.none")}</p>
            ) : (
              <ul className="flex flex-col divide-y divide-slate-100 text-sm" data-testid="certificates">
                {inv.certificates.map((c, i) => {
                  const notAfter = c.notAfter ? new Date(c.notAfter) : null;
                  const daysLeft = notAfter ? Math.floor((notAfter.getTime() - now) / 86_400_000) : null;
                  const expiry = !notAfter
                    ? t("deviceDetail.cert.unreadable")
                    : daysLeft! < 0
                      ? t("deviceDetail.cert.expired", { date: fmt(notAfter, "short") })
                      : t("deviceDetail.cert.validTo", { date: fmt(notAfter, "short") });
                  const red = daysLeft !== null && daysLeft < SOON_DAYS;
                  return (
                    <li key={`${c.fingerprintSha256 ?? c.commonName ?? ""}-${i}`} className="py-2" data-testid="certificate-row">
                      <p className="font-medium">{c.commonName ?? c.subject ?? "—"}{c.isIdentity && <span className="ml-2 text-xs font-normal text-slate-600">{t("deviceDetail.cert.identity")}</span>}</p>
                      {c.issuer && <p className="break-all text-xs text-slate-600">{t("deviceDetail.cert.issuer", { issuer: c.issuer })}</p>}
                      <p className={`text-xs ${red ? "font-semibold text-red-700" : "text-slate-600"}`}>{expiry}</p>
                    </li>
                  );
                })}
              </ul>
            )}
          </Card>
        </div>

        <Card title={t("deviceDetail.auditTitle")}>
          {events.length === 0 ? (
            <p className="text-sm text-slate-600">{t("audit.empty")}</p>
          ) : (
            <div data-testid="device-audit">
              <AuditTable events={events} t={t} fmt={(x) => fmt(x, "short")} compact />
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
