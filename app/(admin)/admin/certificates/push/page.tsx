import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { getPushState } from "@/lib/push-certificates/service";
import { countTopicMismatches } from "@/lib/apns/push-service";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { DaysLeft } from "@/components/expiry";
import { Card, PageHeader } from "@/components/page-header";
import { getServiceState } from "@/lib/push-certificates/signing-service";
import { createRequest, deleteCertificate, saveNotes, uploadCertificate } from "./actions";
import { SigningSection } from "./signing-section";

const PORTAL = "https://identity.apple.com/pushcert";
const DAY = 86_400_000;
/** From this many days before the end the renewal steps are shown open (the red countdown). */
const RENEW_DAYS = 60;

export default async function PushCertificatePage() {
  await view.admin("/admin/certificates/push");
  const [t, fmt] = [await getT(), await getFormatter()];
  const [{ active, request, history, vendor }, service] = await Promise.all([getPushState(), getServiceState()]);
  const mismatched = active ? await countTopicMismatches(active.topic) : 0;
  const daysLeft = active ? Math.floor((active.notAfter.getTime() - Date.now()) / DAY) : 0;
  // The four steps are shown open while they are needed: no certificate, a request under way,
  // a renewal due, or a certificate Apple refused.
  const wizardNeeded = !active || Boolean(request) || Boolean(active.unusableAt) || daysLeft <= RENEW_DAYS;
  const steps = (
    <ol className="flex flex-col gap-6">
      <li className="flex flex-col gap-2">
        <h3 className="font-semibold">{t("pushCert.step1Title")}</h3>
        <p className="text-sm text-slate-600">{t("pushCert.step1Body")}</p>
        {request && <p className="text-sm" data-testid="pending-request">{t("pushCert.requestCreated", { date: fmt(request.createdAt), by: request.createdByLabel })}</p>}
        <ActionForm action={createRequest} submitLabel={t("pushCert.createRequest")} pendingLabel={t("pushCert.creating")} variant={request ? "secondary" : "primary"} />
      </li>
      <li className="flex flex-col gap-2">
        <h3 className="font-semibold">{t("pushCert.step2Title")}</h3>
        {request && (
          <div className="flex flex-wrap gap-3">
            {(vendor || service.signedAt) && <a href="/api/admin/push-certificate/request" download className="rounded-lg bg-brand-600 px-4 py-2 text-white">{t("pushCert.downloadSigned")}</a>}
            <a href="/api/admin/push-certificate/csr" download className="rounded-lg px-4 py-2 ring-1 ring-slate-300">{t("pushCert.downloadCsr")}</a>
          </div>
        )}
        {vendor ? (
          <p className="text-sm text-slate-600">{t("pushCert.vendorUploaded", { subject: vendor.subject, date: fmt(vendor.notAfter) })}</p>
        ) : (
          <p className="text-sm text-slate-600">{t("pushCert.vendorMissing")}</p>
        )}
        <SigningSection t={t} fmt={fmt} service={service} />
      </li>
      <li className="flex flex-col gap-2">
        <h3 className="font-semibold">{t("pushCert.step3Title")}</h3>
        <p className="text-sm text-slate-600">{t("pushCert.step3Body")}</p>
        {active && <p className="text-sm font-medium text-amber-900">{t("pushCert.sameAppleId", { appleId: active.appleId })}</p>}
        <p><a href={PORTAL} target="_blank" rel="noreferrer" className="text-brand-700 underline">{t("pushCert.portalLink")}</a></p>
      </li>
      <li className="flex flex-col gap-2">
        <h3 className="font-semibold">{t("pushCert.step4Title")}</h3>
        <ActionForm action={uploadCertificate} submitLabel={t("pushCert.upload")} pendingLabel={t("pushCert.uploading")} testId="upload-form">
          <Field label={t("pushCert.certFile")} name="file" type="file" accept=".pem,.cer,.crt,application/x-pem-file,application/pkix-cert" required />
          <Field label={t("pushCert.appleIdLabel")} name="appleId" type="email" autoComplete="off" defaultValue={active?.appleId} required />
          <label className="flex flex-col gap-1 text-sm font-medium">
            {t("pushCert.notesLabel")}
            <textarea name="notes" rows={2} maxLength={4000} className="rounded-lg border border-slate-300 p-2 font-normal" />
          </label>
        </ActionForm>
      </li>
    </ol>
  );
  const row = (label: string, value: React.ReactNode, mono = false) => (
    <div className="grid gap-1 sm:grid-cols-[12rem_1fr]">
      <dt className="text-slate-600">{label}</dt>
      <dd className={mono ? "break-all font-mono text-xs" : "break-words"}>{value}</dd>
    </div>
  );
  return (
    <>
      <PageHeader title={t("pushCert.title")} intro={t("pushCert.intro")} />
      <div className="flex flex-col gap-4">
        <Card title={t("pushCert.current")}>
          {!active ? (
            <p className="text-sm text-amber-800">{t("pushCert.none")}</p>
          ) : (
            <div className="flex flex-col gap-4" data-testid="active-push-cert">
              {active.unusableAt && (
                <p role="alert" className="rounded-lg bg-red-50 p-3 text-sm text-red-800 ring-1 ring-red-200">
                  {t("pushCert.unusable", { date: fmt(active.unusableAt), reason: active.unusableReason ?? "" })}
                </p>
              )}
              {mismatched > 0 && <p className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200">{t("pushCert.mismatch", { count: mismatched })}</p>}
              <dl className="grid gap-2 text-sm">
                {row(t("pushCert.daysLeft"), <DaysLeft notAfter={active.notAfter} t={t} />)}
                {row(t("pushCert.validTo"), fmt(active.notAfter))}
                {row(t("pushCert.validFrom"), fmt(active.notBefore))}
                {row(t("pushCert.topic"), active.topic, true)}
                {row(t("pushCert.subject"), active.subject, true)}
                {row(t("pushCert.serial"), active.serial, true)}
                {row(t("pushCert.issuer"), active.issuer, true)}
                {row(t("pushCert.appleId"), active.appleId)}
                {row(t("pushCert.uploadedBy"), `${active.uploadedByLabel} · ${fmt(active.uploadedAt)}`)}
              </dl>
              <ActionForm action={saveNotes} submitLabel={t("pushCert.saveNotes")} pendingLabel={t("common.saving")} variant="secondary">
                <input type="hidden" name="id" value={active.id} />
                <label className="flex flex-col gap-1 text-sm font-medium">
                  {t("pushCert.notes")}
                  <textarea name="notes" defaultValue={active.notes} rows={3} maxLength={4000} className="rounded-lg border border-slate-300 p-2 font-normal" />
                </label>
              </ActionForm>
            </div>
          )}
        </Card>

        <Card title={t(active ? "pushCert.stepsTitle" : "pushCert.stepsTitleNew")}>
          {/* One tree whether open or folded: the upload form keeps its answer when the steps fold after it. */}
          <details open={wizardNeeded} data-testid="push-steps" className="group">
            <summary className="flex min-h-11 cursor-pointer list-none items-center justify-between gap-3 text-sm text-slate-700">
              <span>{active && !wizardNeeded ? t("pushCert.renewLater", { days: daysLeft }) : t("pushCert.stepsToggle")}</span>
              <span aria-hidden className="text-slate-500 transition-transform group-open:rotate-90">›</span>
            </summary>
            <div className="mt-2">{steps}</div>
          </details>
        </Card>

        {history.length > 0 && (
          <Card title={t("pushCert.history")}>
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>
                    {["status", "topic", "serial", "validTo", "appleId", "notes", "uploadedAt"].map((k) => <th key={k} scope="col" className="py-2 pr-3 font-medium">{t(`pushCert.${k}`)}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {history.map((h) => (
                    <tr key={h.id} className="border-b border-slate-100 align-top" data-testid="history-row">
                      <td className="py-2 pr-3">{t(`pushCert.statuses.${h.status}`)}</td>
                      <td className="py-2 pr-3 break-all font-mono text-xs">{h.topic}</td>
                      <td className="py-2 pr-3 font-mono text-xs">{h.serial}</td>
                      <td className="py-2 pr-3 whitespace-nowrap">{fmt(h.notAfter, "short")}</td>
                      <td className="py-2 pr-3">{h.appleId}</td>
                      <td className="py-2 pr-3 whitespace-pre-wrap">{h.notes}</td>
                      <td className="py-2 pr-3 whitespace-nowrap">{fmt(h.uploadedAt, "short")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        )}

        {active && (
          <Card title={t("pushCert.deleteTitle")} className="ring-red-200">
            <p className="mb-3 text-sm text-red-800">{t("pushCert.deleteWarning")}</p>
            <ActionForm action={deleteCertificate} submitLabel={t("pushCert.deleteButton")} pendingLabel={t("pushCert.deleting")} variant="danger">
              <input type="hidden" name="id" value={active.id} />
              <Field label={t("pushCert.deleteConfirm")} name="confirmation" autoComplete="off" required />
            </ActionForm>
          </Card>
        )}
        <p><Link href="/admin/certificates" className="text-sm text-brand-700 underline">{t("certificates.title")}</Link></p>
      </div>
    </>
  );
}
