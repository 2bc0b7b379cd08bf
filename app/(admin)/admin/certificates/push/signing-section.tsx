import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import type { T } from "@/lib/i18n";
import type { getServiceState } from "@/lib/push-certificates/signing-service";
import { requestServiceSigning, saveSigningService, uploadServiceReply, uploadVendor } from "./actions";

type Fmt = (d: Date) => string;

/** Step 2's two ways to get a request signed: an own MDM vendor certificate, or a signing service. */
export function SigningSection({ t, fmt, service }: { t: T; fmt: Fmt; service: Awaited<ReturnType<typeof getServiceState>> }) {
  const steps = (keys: string[]) => (
    <ol className="ml-5 list-decimal text-sm text-slate-700">
      {keys.map((k) => <li key={k}>{t(`pushCert.signing.${k}`)}</li>)}
    </ol>
  );
  return (
    <div className="flex flex-col gap-3" data-testid="signing-ways">
      <section className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200" aria-labelledby="vendor-title">
        <h4 className="text-sm font-semibold">{t("pushCert.signing.ownTitle")}</h4>
        {steps(["own1", "own2", "own3"])}
        <h5 id="vendor-title" className="mt-3 text-sm font-medium">{t("pushCert.vendorTitle")}</h5>
        <ActionForm action={uploadVendor} submitLabel={t("pushCert.vendorUpload")} pendingLabel={t("pushCert.vendorUploading")} variant="secondary" className="mt-2 flex flex-col gap-3" testId="vendor-form">
          <Field label={t("pushCert.vendorFile")} name="file" type="file" accept=".p12,.pfx,application/x-pkcs12" required />
          <Field label={t("pushCert.vendorPassword")} name="password" type="password" autoComplete="off" />
        </ActionForm>
      </section>
      <section className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200" aria-labelledby="service-title">
        <h4 id="service-title" className="text-sm font-semibold">{t("pushCert.signing.serviceTitle")}</h4>
        {steps(["service1", "service2", "service3"])}
        <p className="mt-1 text-xs text-slate-600">{t("pushCert.signing.serviceNote")}</p>
        <ActionForm action={saveSigningService} submitLabel={t("pushCert.service.save")} pendingLabel={t("pushCert.service.saving")} variant="secondary" className="mt-3 flex flex-col gap-3" testId="service-settings">
          <Field label={t("pushCert.service.baseUrl")} name="baseUrl" type="url" defaultValue={service.baseUrl} required />
          <Field label={t("pushCert.service.email")} name="email" type="email" defaultValue={service.email} autoComplete="off" required />
          <Field label={t("pushCert.service.apiKey")} name="apiKey" type="password" autoComplete="off" hint={service.hasApiKey ? t("pushCert.service.apiKeyKept") : undefined} required={!service.hasApiKey} />
        </ActionForm>
        {service.hasApiKey && (
          <div className="mt-3 flex flex-col gap-3">
            {service.submittedAt && service.awaitingReply && (
              <p className="text-sm" data-testid="service-submitted">{t("pushCert.service.submitted", { date: fmt(service.submittedAt), by: service.submittedByLabel ?? "" })}</p>
            )}
            {service.signedAt && <p className="text-sm text-emerald-800" data-testid="service-signed">{t("pushCert.service.signedReady", { date: fmt(service.signedAt) })}</p>}
            <ActionForm action={requestServiceSigning} submitLabel={t("pushCert.service.request")} pendingLabel={t("pushCert.service.requesting")} variant="secondary" testId="service-request" />
            {service.awaitingReply && (
              <ActionForm action={uploadServiceReply} submitLabel={t("pushCert.service.replyUpload")} pendingLabel={t("pushCert.service.replyUploading")} variant="secondary" testId="service-reply">
                <Field label={t("pushCert.service.replyFile")} name="file" type="file" accept=".p7,.txt,text/plain,application/octet-stream" required />
              </ActionForm>
            )}
          </div>
        )}
      </section>
    </div>
  );
}
