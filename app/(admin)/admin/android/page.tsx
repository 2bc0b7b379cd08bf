import type { T } from "@/lib/i18n";
import { view } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { getFormatter, getT } from "@/lib/i18n/server";
import { getSetting, resolvePublicUrl } from "@/lib/settings";
import { androidSettings } from "@/lib/android/service";
import { signupResult } from "@/lib/android/binding";
import { androidPolicies } from "@/lib/android/policies";
import { DEFAULT_POLICY } from "@/lib/android/policy";
import { groupChoices } from "@/lib/groups";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { Card, PageHeader } from "@/components/page-header";
import { removePolicy, saveAndroid, saveAndroidPubsub, syncAndroid, testAndroid } from "./actions";
import { SignupForm } from "./signup-form";
import { PolicyForm } from "./policy-form";
import { EnrollmentFailures, SignupBanner } from "./notices";

export const dynamic = "force-dynamic";

function KeyArea({ id, label, hint }: { id: string; label: string; hint: string }) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium text-slate-800">{label}</label>
      <textarea id={id} name="secretKeyJson" rows={5} spellCheck={false} autoComplete="off" aria-describedby={`${id}-hint`} className="rounded-lg border border-slate-300 bg-white px-3 py-2 font-mono text-xs" />
      <p id={`${id}-hint`} className="text-xs text-slate-600">{hint}</p>
    </div>
  );
}

/** Android Management API: enterprise, policy, service account; test and sync. */
export default async function AndroidPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await view.admin("/admin/android");
  const [t, fmt] = [await getT(), await getFormatter()];
  const s = await androidSettings();
  const pubsub = await getSetting("androidPubsub");
  const endpoint = `${await resolvePublicUrl((await headers()).get("host"))}/api/android/pubsub`;
  const signup = (await searchParams).signup;
  const outcome = typeof signup === "string" ? (signup === "refused" ? "refused" : await signupResult(signup, admin.id)) : null;
  const last = s?.lastSyncResult;
  return (
    <>
      <PageHeader title={t("android.title")} intro={t("android.intro")} />
      <div className="flex flex-col gap-4">
        {outcome && <SignupBanner t={t} outcome={outcome} />}
        <Card title={t("android.current")}>
          {s ? (
            <dl className="grid gap-2 text-sm" data-testid="android-settings">
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("android.enterprise")}</dt><dd className="break-all font-mono text-xs">{s.enterpriseName}</dd></div>
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("android.policy")}</dt><dd className="break-all font-mono text-xs">{s.policyName}</dd></div>
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("android.account")}</dt><dd className="break-all">{s.clientEmail}</dd></div>
              <div className="grid sm:grid-cols-[12rem_1fr]">
                <dt className="text-slate-600">{t("android.lastSync")}</dt>
                <dd data-testid="android-last-sync">
                  {s.lastSyncAt ? `${fmt(s.lastSyncAt)} · ${last?.startsWith("ok:") ? t("android.lastSyncOk", { count: Number(last.slice(3)) }) : t("android.lastSyncFailed", { reason: failureText(last ?? "", t) })}` : t("android.never")}
                </dd>
              </div>
            </dl>
          ) : (
            <p className="text-sm text-amber-800">{t("android.none")}</p>
          )}
        </Card>
        {!s && (
          <Card title={t("android.signupTitle")}>
            <p className="mb-3 text-sm text-slate-600">{t("android.signupIntro")}</p>
            <SignupForm submitLabel={t("android.signup")} pendingLabel={t("android.signingUp")}>
              <Field label={t("android.displayName")} name="displayName" hint={t("android.displayNameHint")} required autoComplete="organization" />
              <Field label={t("android.adminEmail")} name="adminEmail" type="email" hint={t("android.adminEmailHint")} autoComplete="email" />
              <Field label={t("android.keyFile")} name="secretKeyFile" type="file" accept=".json,application/json" hint={t("android.keyHint")} />
              <KeyArea id="android-signup-key" label={t("android.keyPaste")} hint={t("android.keyPasteHint")} />
            </SignupForm>
          </Card>
        )}
        <Card>
          <details open={!!s} data-testid="android-existing">
            <summary className="cursor-pointer text-base font-semibold text-slate-800">{s ? t("android.settingsTitle") : t("android.existingTitle")}</summary>
            <div className="mt-3">
              <ActionForm action={saveAndroid} submitLabel={t("android.save")} pendingLabel={t("android.saving")} testId="android-form">
                <Field label={t("android.enterprise")} name="enterpriseName" defaultValue={s?.enterpriseName ?? ""} placeholder="enterprises/LC0123abcd" hint={t("android.enterpriseHint")} required autoComplete="off" />
                <Field label={t("android.policy")} name="policyName" defaultValue={s?.policyName ?? ""} placeholder="enterprises/LC0123abcd/policies/default" hint={t("android.policyHint")} required autoComplete="off" />
                <Field label={t("android.keyFile")} name="secretKeyFile" type="file" accept=".json,application/json" hint={s ? t("android.keyKeep") : t("android.keyHint")} />
                <KeyArea id="android-key-json" label={t("android.keyPaste")} hint={t("android.keyPasteHint")} />
              </ActionForm>
            </div>
          </details>
        </Card>
        <Card title={t("android.pubsubTitle")}>
          <div className="flex flex-col gap-3">
            <p className="text-sm text-slate-600">{t("android.pubsubIntro")}</p>
            <p className="break-all text-sm" data-testid="android-pubsub-endpoint">{t("android.pubsubEndpoint", { url: endpoint })}</p>
            <p className="text-sm" data-testid="android-pubsub-state">{pubsub.audience ? t("android.pubsubOn", { audience: pubsub.audience }) : t("android.pubsubOffNow")}</p>
            <ActionForm action={saveAndroidPubsub} submitLabel={t("android.pubsubSave")} pendingLabel={t("android.saving")} testId="android-pubsub-form">
              <Field label={t("android.pubsubAudience")} name="audience" defaultValue={pubsub.audience ?? ""} placeholder={endpoint} hint={t("android.pubsubAudienceHint")} autoComplete="off" />
              <Field label={t("android.pubsubEmail")} name="serviceAccountEmail" type="email" defaultValue={pubsub.serviceAccountEmail ?? ""} placeholder="pubsub-push@project.iam.gserviceaccount.com" hint={t("android.pubsubEmailHint")} autoComplete="off" />
            </ActionForm>
          </div>
        </Card>
        {s && (
          <Card title={t("android.checkTitle")}>
            <div className="flex flex-col gap-4">
              <ActionForm action={testAndroid} submitLabel={t("android.test")} pendingLabel={t("android.testing")} variant="secondary" testId="android-test" />
              <p className="text-sm text-slate-600">{t("android.syncHint")}</p>
              <ActionForm action={syncAndroid} submitLabel={t("android.sync")} pendingLabel={t("android.syncing")} variant="secondary" testId="android-sync" />
            </div>
          </Card>
        )}
        {s && <Policies t={t} fmt={fmt} />}
        {s && <EnrollmentFailures t={t} fmt={fmt} />}
      </div>
    </>
  );
}

/** The default policy and the groups' own, each editable; a form to give another group one. */
async function Policies({ t, fmt }: { t: T; fmt: (d: Date) => string }) {
  const [{ defaultPolicy, groups }, choices, s] = [await androidPolicies(), await groupChoices(), await androidSettings()];
  const free = choices.filter((g) => !groups.some((p) => p.groupId === g.id));
  const status = (p: Awaited<ReturnType<typeof androidPolicies>>["groups"][number] | null) =>
    p?.lastError ? (
      <p role="alert" className="text-sm text-red-800" data-testid="policy-error">{t("android.policyNotSent", { reason: t(`errors.${p.lastError.code}`, p.lastError.params) })}</p>
    ) : p?.pushedAt ? (
      <p className="text-xs text-slate-600">{t("android.policySent", { when: fmt(p.pushedAt) })}</p>
    ) : null;
  return (
    <>
      <Card title={t("android.policyTitle")}>
        <p className="mb-3 text-sm text-slate-600">{t("android.policyIntro", { policy: s?.policyName ?? "" })}</p>
        {status(defaultPolicy)}
        <PolicyForm t={t} settings={defaultPolicy?.settings ?? DEFAULT_POLICY} testId="android-policy" />
      </Card>
      <Card title={t("android.groupPoliciesTitle")}>
        <p className="mb-3 text-sm text-slate-600">{t("android.groupPoliciesIntro")}</p>
        <div className="flex flex-col gap-4">
          {groups.map((p) => (
            <details key={p.name} className="rounded-lg ring-1 ring-slate-200 p-3" data-testid="android-group-policy">
              <summary className="cursor-pointer text-sm font-medium">{p.groupName} <span className="font-mono text-xs text-slate-600">{p.name}</span></summary>
              <div className="mt-3 flex flex-col gap-3">
                {status(p)}
                <PolicyForm t={t} settings={p.settings} groupId={p.groupId!} testId="android-group-policy-form" />
                <ActionForm action={removePolicy} submitLabel={t("android.policyRemove")} pendingLabel={t("android.policyRemoving")} variant="secondary" testId="android-group-policy-remove">
                  <input type="hidden" name="groupId" value={p.groupId!} />
                </ActionForm>
              </div>
            </details>
          ))}
          {free.length > 0 ? (
            <details className="rounded-lg ring-1 ring-slate-200 p-3">
              <summary className="cursor-pointer text-sm font-medium">{t("android.groupAddTitle")}</summary>
              <div className="mt-3"><PolicyForm t={t} settings={defaultPolicy?.settings ?? DEFAULT_POLICY} groups={free} testId="android-group-policy-add" /></div>
            </details>
          ) : (
            choices.length === 0 && <p className="text-sm text-slate-600">{t("android.noGroups")}</p>
          )}
        </div>
      </Card>
    </>
  );
}

/** A stored "error:{code, params}" as a sentence; "unexpected" failures have no sentence of their own. */
function failureText(result: string, t: T): string {
  try {
    const { code, params } = JSON.parse(result.slice("error:".length)) as { code: string; params: Record<string, string | number> };
    return code === "unexpected" ? t("android.syncUnexpected") : t(`errors.${code}`, params);
  } catch {
    return t("android.syncUnexpected");
  }
}
