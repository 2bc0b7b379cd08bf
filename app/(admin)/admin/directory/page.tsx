import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { getDirectoryConfig, getSyncStatus, isConfigured, MAX_SYNC_MINUTES, MIN_SYNC_MINUTES } from "@/lib/directory/config";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { Card, PageHeader } from "@/components/page-header";
import { importDirectory, saveDirectory, testDirectoryAction } from "./actions";

export default async function DirectoryPage() {
  await view.admin("/admin/directory");
  const [t, fmt] = [await getT(), await getFormatter()];
  const [c, status] = await Promise.all([getDirectoryConfig(), getSyncStatus()]);
  const configured = isConfigured(c);
  const last = status.lastResult;
  const check = "flex min-h-11 items-center gap-2 text-sm font-medium text-slate-800";
  return (
    <>
      <PageHeader title={t("directory.title")} intro={t("directory.intro")} />
      <div className="grid gap-4 lg:grid-cols-3">
        <Card title={t("directory.settingsTitle")} className="lg:col-span-2">
          <ActionForm action={saveDirectory} submitLabel={t("directory.save")} pendingLabel={t("common.saving")} testId="directory-form">
            <Field label={t("directory.url")} name="url" inputMode="url" placeholder="ldaps://ldap.example.jp" defaultValue={c.url} hint={t("directory.urlHint")} autoComplete="off" />
            <label className={check}>
              <input type="checkbox" name="startTls" defaultChecked={c.startTls} className="size-5 accent-brand-600" />
              {t("directory.startTls")}
            </label>
            <label className="flex flex-col gap-1 text-sm font-medium text-slate-800">
              {t("directory.caPem")}
              <textarea name="caPem" rows={4} defaultValue={c.caPem ?? ""} aria-describedby="ca-hint" className="rounded-lg border border-slate-300 p-2 font-mono text-xs font-normal" />
              <span id="ca-hint" className="text-xs font-normal text-slate-600">{t("directory.caPemHint")}</span>
            </label>
            <Field label={t("directory.bindDn")} name="bindDn" defaultValue={c.bindDn} placeholder="cn=mamori,ou=services,dc=example,dc=jp" autoComplete="off" />
            <Field
              label={t("directory.bindPassword")}
              name="bindPassword"
              type="password"
              autoComplete="new-password"
              hint={c.bindPasswordSealed ? t("directory.bindPasswordKept") : t("directory.bindPasswordHint")}
            />
            <Field label={t("directory.baseDn")} name="baseDn" defaultValue={c.baseDn} placeholder="ou=people,dc=example,dc=jp" autoComplete="off" />
            <Field label={t("directory.filter")} name="filter" defaultValue={c.filter} hint={t("directory.filterHint")} autoComplete="off" />
            <fieldset className="grid gap-3 sm:grid-cols-2">
              <legend className="mb-2 text-sm font-semibold text-slate-800">{t("directory.mapping")}</legend>
              <Field label={t("directory.nameAttribute")} name="nameAttribute" defaultValue={c.nameAttribute} hint={t("directory.nameAttributeHint")} autoComplete="off" />
              <Field label={t("directory.emailAttribute")} name="emailAttribute" defaultValue={c.emailAttribute} autoComplete="off" />
              <Field label={t("directory.usernameAttribute")} name="usernameAttribute" defaultValue={c.usernameAttribute} autoComplete="off" />
              <Field label={t("directory.groupAttribute")} name="groupAttribute" defaultValue={c.groupAttribute ?? ""} hint={t("directory.groupAttributeHint")} autoComplete="off" />
            </fieldset>
            <label className={check}>
              <input type="checkbox" name="syncEnabled" defaultChecked={c.syncEnabled} className="size-5 accent-brand-600" />
              {t("directory.syncEnabled")}
            </label>
            <Field label={t("directory.syncInterval")} name="syncIntervalMinutes" inputMode="numeric" defaultValue={c.syncIntervalMinutes} hint={t("directory.syncIntervalHint", { min: MIN_SYNC_MINUTES, max: MAX_SYNC_MINUTES })} />
          </ActionForm>
        </Card>
        <div className="flex flex-col gap-4">
          <Card title={t("directory.testTitle")}>
            <p className="mb-3 text-sm text-slate-600">{t(configured ? "directory.testIntro" : "directory.notConfiguredYet")}</p>
            <ActionForm action={testDirectoryAction} submitLabel={t("directory.test")} pendingLabel={t("directory.testing")} variant="secondary" testId="directory-test" />
          </Card>
          <Card title={t("directory.importTitle")}>
            <p className="mb-3 text-sm text-slate-600">{t("directory.importIntro")}</p>
            <ActionForm action={importDirectory} submitLabel={t("directory.import")} pendingLabel={t("directory.importing")} testId="directory-import" />
          </Card>
          <Card title={t("directory.lastSyncTitle")}>
            <div data-testid="directory-last-sync" className="flex flex-col gap-2 text-sm">
              {status.runningSince && <p className="text-amber-800">{t("directory.running", { at: fmt(new Date(status.runningSince)) })}</p>}
              {!status.lastFinishedAt || !last ? (
                <p className="text-slate-600">{t("directory.neverSynced")}</p>
              ) : (
                <>
                  <p>
                    {t("directory.lastSyncAt", { at: fmt(new Date(status.lastFinishedAt)) })}{" "}
                    <span className="text-slate-600">({t(status.lastTrigger === "scheduled" ? "directory.triggerScheduled" : "directory.triggerManual")})</span>
                  </p>
                  {last.ok ? (
                    <>
                      <dl className="grid grid-cols-2 gap-x-4 gap-y-1">
                        {(["created", "updated", "disabled", "enabled", "unchanged", "conflicts", "skipped"] as const).map((k) => (
                          <div key={k} className="contents">
                            <dt className="text-slate-600">{t(`directory.counts.${k}`)}</dt>
                            <dd className="text-right tabular-nums" data-testid={`last-${k}`}>{last[k]}</dd>
                          </div>
                        ))}
                      </dl>
                      {last.conflictSamples.length > 0 && (
                        <div>
                          <p className="font-medium">{t("directory.conflictsTitle")}</p>
                          <ul className="list-disc pl-5 text-slate-700">
                            {last.conflictSamples.map((s) => (
                              <li key={s.username + s.email} className="break-all">
                                {t(s.reason === "localUser" ? "directory.conflictLocal" : "directory.conflictDuplicate", { username: s.username, email: s.email })}
                              </li>
                            ))}
                          </ul>
                        </div>
                      )}
                    </>
                  ) : (
                    <p className="text-red-700" role="status">{t(`errors.${last.error}`, last.params)}</p>
                  )}
                </>
              )}
            </div>
          </Card>
        </div>
      </div>
    </>
  );
}
