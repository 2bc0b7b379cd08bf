import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { headers } from "next/headers";
import { WEB_CLIP_LABEL_MAX, getSetting, MAX_COLLECTION_HOURS, MIN_COLLECTION_HOURS, resolvePublicUrl, RETENTION_BOUNDS } from "@/lib/settings";
import { licenseUsage } from "@/lib/licenses";
import { listMail } from "@/lib/mail";
import { ActionForm } from "@/components/action-form";
import { CheckboxField, Field, SelectField } from "@/components/field";
import { getSmtpConfig, SECURITY } from "@/lib/mail/smtp";
import { currentTransport } from "@/lib/mail/status";
import { Badge, MAIL_TONE } from "@/components/badge";
import { Card, PageHeader } from "@/components/page-header";
import { Pager } from "@/components/pager";
import { saveWebClipAction } from "./web-clip-action";
import { saveCollection, saveDevices, saveGeneral, saveLicenses, saveMail, saveNotifications, saveRetention, saveSmtp, sendTestMailAction } from "./actions";

const PAGE_SIZE = 20;

export default async function SettingsPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await view.admin("/admin/settings");
  const [t, fmt] = [await getT(), await getFormatter()];
  const page = Math.max(1, Number((await searchParams).page) || 1);
  const [notifications, mail, log, general, devices, collection, licenses, usage, retention, smtp, transport, webClip] = await Promise.all([
    getSetting("notifications"),
    getSetting("mail"),
    listMail({ take: PAGE_SIZE, skip: (page - 1) * PAGE_SIZE }),
    getSetting("general"),
    getSetting("devices"),
    getSetting("collection"),
    getSetting("licenses"),
    licenseUsage(),
    getSetting("retention"),
    getSmtpConfig(),
    currentTransport(),
    getSetting("webClip"),
  ]);
  const transportLabel = t(`settings.transports.${transport.transport}`) + (transport.host ? ` (${transport.host}:${transport.port})` : "");
  const envUrl = process.env.MAMORI_PUBLIC_URL?.trim();
  const inUse = await resolvePublicUrl((await headers()).get("host"));
  return (
    <>
      <PageHeader title={t("settings.title")} />
      <div className="flex flex-col gap-4">
        <div className="grid gap-4 lg:grid-cols-2">
          <Card title={t("settings.generalTitle")}>
            <ActionForm action={saveGeneral} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="general-form">
              <Field label={t("settings.publicUrl")} name="publicUrl" type="url" inputMode="url" placeholder="https://mdm.example.jp" defaultValue={general.publicUrl ?? ""} hint={t("settings.publicUrlHint")} />
              {envUrl && <p className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="public-url-env">{t("settings.publicUrlEnv", { value: envUrl })}</p>}
              <p className="break-all text-sm text-slate-700" data-testid="public-url-current">{t("settings.publicUrlInUse", { url: inUse })}</p>
            </ActionForm>
          </Card>
          <Card title={t("settings.licensesTitle")}>
            <p className="mb-3 text-sm text-slate-600" data-testid="license-usage">
              {usage.total === null ? t("licenses.usedUnlimited", { used: usage.used }) : t("licenses.usedOf", { used: usage.used, total: usage.total })}
            </p>
            <ActionForm action={saveLicenses} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="licenses-form">
              <Field label={t("settings.licenseCount")} name="devices" inputMode="numeric" defaultValue={licenses.devices ?? ""} hint={t("settings.licenseCountHint")} />
            </ActionForm>
          </Card>
          <Card title={t("settings.devicesTitle")}>
            <ActionForm action={saveDevices} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="devices-form">
              <Field label={t("settings.inactiveAfterDays")} name="inactiveAfterDays" inputMode="numeric" defaultValue={devices.inactiveAfterDays} hint={t("settings.inactiveAfterDaysHint")} />
            </ActionForm>
          </Card>
          <Card title={t("settings.collectionTitle")}>
            <p className="mb-3 text-sm text-slate-600">{t("settings.collectionIntro")}</p>
            <ActionForm action={saveCollection} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="collection-form">
              <label className="flex min-h-11 items-center gap-2 text-sm font-medium text-slate-800">
                <input type="checkbox" name="enabled" defaultChecked={collection.enabled} className="size-5 accent-brand-600" />
                {t("settings.collectionEnabled")}
              </label>
              <Field label={t("settings.collectionInterval")} name="intervalHours" inputMode="numeric" defaultValue={collection.intervalHours} hint={t("settings.collectionIntervalHint", { min: MIN_COLLECTION_HOURS, max: MAX_COLLECTION_HOURS })} />
            </ActionForm>
          </Card>
          <Card title={t("settings.webClipTitle")}>
            <p className="mb-3 text-sm text-slate-600">{t("settings.webClipIntro", { url: `${inUse}/my` })}</p>
            <ActionForm action={saveWebClipAction} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="web-clip-form">
              <CheckboxField label={t("settings.webClipEnabled")} name="enabled" defaultChecked={webClip.enabled} />
              <Field label={t("settings.webClipLabel")} name="label" defaultValue={webClip.label} maxLength={60} hint={t("settings.webClipLabelHint", { max: WEB_CLIP_LABEL_MAX })} />
            </ActionForm>
          </Card>
        </div>
        <Card title={t("settings.retentionTitle")}>
          <p className="mb-3 text-sm text-slate-600">{t("settings.retentionIntro")}</p>
          <ActionForm action={saveRetention} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="retention-form">
            <div className="grid gap-3 md:grid-cols-2">
              {(Object.keys(RETENTION_BOUNDS) as (keyof typeof RETENTION_BOUNDS)[]).map((k) => (
                <Field key={k} label={t(`settings.${k}`)} name={k} inputMode="numeric" defaultValue={retention[k]} hint={t("settings.retentionHint", { min: RETENTION_BOUNDS[k][0], max: RETENTION_BOUNDS[k][1] })} />
              ))}
            </div>
          </ActionForm>
        </Card>
        <Card title={t("settings.notificationsTitle")}>
          <p className="mb-3 text-sm text-slate-600">{t("settings.notificationsIntro")}</p>
          <ActionForm action={saveNotifications} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="notifications-form">
            <label className="flex flex-col gap-1 text-sm font-medium">
              {t("settings.recipients")}
              <textarea name="recipients" rows={4} defaultValue={notifications.recipients.join("\n")} aria-describedby="recipients-hint" className="rounded-lg border border-slate-300 p-2 font-normal" />
              <span id="recipients-hint" className="text-xs font-normal text-slate-600">{t("settings.recipientsHint")}</span>
            </label>
            <Field label={t("settings.thresholds")} name="thresholds" defaultValue={notifications.thresholds.join(", ")} hint={t("settings.thresholdsHint")} />
          </ActionForm>
        </Card>
        <Card title={t("settings.mailTitle")}>
          <p className="mb-3 text-sm text-slate-700" data-testid="mail-transport" data-transport={transport.transport}>
            {transport.broken ? t("settings.smtp.envBroken") : t("settings.transportInUse", { transport: transportLabel })}
          </p>
          <div className="grid gap-6 lg:grid-cols-2">
            <div className="flex flex-col gap-6">
              <ActionForm action={saveMail} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="mail-form">
                <Field label={t("settings.sender")} name="from" defaultValue={mail.from} hint={t("settings.senderHint")} />
              </ActionForm>
              <div className="flex flex-col gap-2">
                <h3 className="font-medium">{t("settings.testMail.title")}</h3>
                <p className="text-sm text-slate-600">{t("settings.testMail.intro")}</p>
                <ActionForm action={sendTestMailAction} submitLabel={t("settings.testMail.button")} pendingLabel={t("settings.testMail.pending")} variant="secondary" testId="test-mail-form" />
              </div>
            </div>
            <div className="flex flex-col gap-2">
              <h3 className="font-medium">{t("settings.smtp.title")}</h3>
              <p className="text-sm text-slate-600">{t("settings.smtp.intro")}</p>
              {transport.source === "env" && <p className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="smtp-env">{t("settings.smtp.envNotice")}</p>}
              <ActionForm action={saveSmtp} submitLabel={t("settings.save")} pendingLabel={t("common.saving")} testId="smtp-form">
                <Field label={t("settings.smtp.host")} name="host" defaultValue={smtp.host ?? ""} placeholder="smtp.example.jp" autoComplete="off" spellCheck={false} hint={t("settings.smtp.hostHint")} />
                <div className="grid gap-3 sm:grid-cols-2">
                  <Field label={t("settings.smtp.port")} name="port" inputMode="numeric" defaultValue={smtp.port} hint={t("settings.smtp.portHint")} />
                  <SelectField label={t("settings.smtp.security")} name="security" defaultValue={smtp.security} options={SECURITY.map((v) => [v, t(`settings.smtp.securities.${v}`)] as const)} />
                </div>
                <Field label={t("settings.smtp.username")} name="username" defaultValue={smtp.username ?? ""} autoComplete="off" spellCheck={false} />
                <Field label={t("settings.smtp.password")} name="password" type="password" autoComplete="new-password" hint={t(smtp.passwordSealed ? "settings.smtp.passwordSaved" : "settings.smtp.passwordHint")} />
                {smtp.passwordSealed && (
                  <label className="flex items-start gap-2 text-sm">
                    <input type="checkbox" name="clearPassword" className="mt-1 size-4 accent-brand-600" />
                    <span>{t("settings.smtp.clearPassword")}</span>
                  </label>
                )}
                <label className="flex flex-col gap-1 text-sm font-medium">
                  {t("settings.smtp.ca")}
                  <textarea name="caPem" rows={3} defaultValue={smtp.caPem ?? ""} spellCheck={false} aria-describedby="smtp-ca-hint" className="rounded-lg border border-slate-300 p-2 font-mono text-xs font-normal" />
                  <span id="smtp-ca-hint" className="text-xs font-normal text-slate-600">{t("settings.smtp.caHint")}</span>
                </label>
              </ActionForm>
            </div>
          </div>
        </Card>
        <Card title={t("settings.mailLog")}>
          {transport.transport === "outbox" && <p className="mb-3 rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200">{t("settings.outboxNotice")}</p>}
          {log.messages.length === 0 ? (
            <p className="text-sm text-slate-600">{t("settings.noMail")}</p>
          ) : (
            <ul className="flex flex-col divide-y divide-slate-100">
              {log.messages.map((m) => (
                <li key={m.id} className="py-2" data-testid="mail-row">
                  <details>
                    <summary className="flex cursor-pointer flex-wrap gap-x-4 text-sm">
                      <span className="whitespace-nowrap text-slate-600">{fmt(m.createdAt, "short")}</span>
                      <Badge tone={MAIL_TONE[m.status]}>{t(`settings.statuses.${m.status}`)}</Badge>
                      <span className="font-medium">{m.subject}</span>
                      <span className="break-all text-slate-600">{m.to.join(", ")}</span>
                    </summary>
                    <pre className="mt-2 whitespace-pre-wrap rounded-lg bg-slate-50 p-3 text-xs">{m.text}</pre>
                    {m.error && <p className="text-xs text-red-700">{m.error}</p>}
                  </details>
                </li>
              ))}
            </ul>
          )}
          <Pager page={page} pages={Math.ceil(log.total / PAGE_SIZE)} params={{}} t={t} />
        </Card>
      </div>
    </>
  );
}
