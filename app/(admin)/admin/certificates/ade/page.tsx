import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { getAdeState } from "@/lib/ade/service";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { DaysLeft } from "@/components/expiry";
import { Card, PageHeader } from "@/components/page-header";
import { createKey, deleteToken, uploadToken } from "./actions";

const STEPS = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"];

export default async function AdePage() {
  await view.admin("/admin/certificates/ade");
  const [t, fmt] = [await getT(), await getFormatter()];
  const state = await getAdeState();
  const token = state.token;
  return (
    <>
      <PageHeader title={t("ade.title")} intro={t("ade.intro")} />
      <div className="flex flex-col gap-4">
        <Card title={t("ade.current")}>
          {token ? (
            <dl className="grid gap-2 text-sm" data-testid="ade-token">
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("ade.expires")}</dt><dd><DaysLeft notAfter={token.accessTokenExpiry} t={t} /> · {fmt(token.accessTokenExpiry)}</dd></div>
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("ade.org")}</dt><dd>{token.orgName ?? t("ade.orgUnknown")}</dd></div>
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("ade.consumerKey")}</dt><dd className="break-all font-mono text-xs">{token.consumerKey}</dd></div>
              <div className="grid sm:grid-cols-[12rem_1fr]"><dt className="text-slate-600">{t("ade.uploadedBy")}</dt><dd>{token.uploadedByLabel} · {fmt(token.uploadedAt)}</dd></div>
              <p className="text-slate-600">{t("ade.renewHint")}</p>
            </dl>
          ) : (
            <p className="text-sm text-amber-800">{t("ade.none")}</p>
          )}
        </Card>
        <Card title={t("ade.stepsTitle")}>
          <div className="mb-4 flex flex-wrap items-center gap-3">
            {state.hasKey ? (
              <>
                <a href="/api/admin/ade/public-key" download className="rounded-lg bg-brand-600 px-4 py-2 text-white">{t("ade.downloadKey")}</a>
                {state.publicKeyCreatedAt && <span className="text-sm text-slate-600">{t("ade.keyCreatedAt", { date: fmt(state.publicKeyCreatedAt) })}</span>}
              </>
            ) : (
              <ActionForm action={createKey} submitLabel={t("ade.createKey")} pendingLabel={t("ade.creatingKey")} />
            )}
          </div>
          <ol className="mb-4 list-decimal space-y-1 pl-5 text-sm">
            {STEPS.map((s) => <li key={s}>{t(`ade.steps.${s}`)}</li>)}
          </ol>
          <ActionForm action={uploadToken} submitLabel={t("ade.upload")} pendingLabel={t("ade.uploading")} testId="ade-upload">
            <Field label={t("ade.file")} name="file" type="file" accept=".p7m,application/pkcs7-mime" required />
          </ActionForm>
        </Card>
        {token && (
          <Card title={t("ade.delete")}>
            <p className="mb-3 text-sm text-red-800">{t("ade.deleteWarning")}</p>
            <ActionForm action={deleteToken} submitLabel={t("ade.delete")} pendingLabel={t("ade.deleting")} variant="danger" />
          </Card>
        )}
        <p><Link href="/admin/certificates" className="text-sm text-brand-700 underline">{t("certificates.title")}</Link></p>
      </div>
    </>
  );
}
