import Link from "next/link";
import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { getCertificate, MAX_PKCS12_BYTES } from "@/lib/user-certificates/service";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { Card } from "@/components/page-header";
import { clearCertificateKey, deleteCertificate, renameCertificate, replaceCertificate } from "../actions";

// Edit one certificate: rename, replace the file, clear the private key, delete. Someone
// else's certificate (or a made-up id) is a plain 404.
export default async function MyCertificate({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await view.endUser(`/my/certificates/${id}`);
  const cert = await getCertificate(user.id, id);
  if (!cert) notFound();
  const [t, fmt] = [await getT(), await getFormatter()];
  const k = (key: string, p?: Record<string, string | number>) => t(`myCertificates.${key}`, p);
  const hidden = <input type="hidden" name="id" value={cert.id} />;
  const tick = (key: string) => (
    <label className="flex items-start gap-2 text-sm">
      <input type="checkbox" name="confirm" className="mt-1 size-5" required />
      <span>{k(key)}</span>
    </label>
  );
  const panel = (testId: string, title: string, explain: string, danger: boolean, form: React.ReactNode) => (
    <details className={`group rounded-xl bg-white ring-1 ${danger ? "ring-red-200" : "ring-slate-200"}`} data-testid={testId}>
      <summary className="flex min-h-11 cursor-pointer list-none items-center justify-between gap-3 rounded-xl px-4 py-3">
        <span className={`font-medium ${danger ? "text-red-800" : ""}`}>{title}</span>
        <span aria-hidden className="text-slate-500 transition-transform group-open:rotate-90">›</span>
      </summary>
      <div className="border-t border-slate-100 px-4 py-3">
        {explain && <p className="mb-3 text-sm text-slate-700">{explain}</p>}
        {form}
      </div>
    </details>
  );
  const row = (label: string, value: React.ReactNode, mono = false) => (
    <div className="grid gap-0.5">
      <dt className="text-slate-600">{label}</dt>
      <dd className={mono ? "break-all font-mono text-xs" : "break-words"}>{value}</dd>
    </div>
  );
  return (
    <>
      <p><Link href="/my/certificates" className="text-sm text-brand-700 underline">{k("back")}</Link></p>
      <h1 className="break-words text-2xl font-semibold" data-testid="usercert-title">{cert.name}</h1>
      <Card>
        <dl className="grid gap-2 text-sm">
          {row(k("purpose"), t(`myCertificates.purposes.${cert.purpose}`))}
          {row(k("issuer"), cert.issuer, true)}
          {row(k("subject"), cert.subject, true)}
          {row(k("serial"), cert.serial, true)}
          {row(k("validFrom"), fmt(cert.notBefore))}
          {row(k("expiresAt"), fmt(cert.notAfter))}
          {row(k("uploadedAt"), fmt(cert.uploadedAt))}
        </dl>
        {cert.keyClearedAt && <p className="mt-3 text-sm text-amber-800" data-testid="usercert-key-cleared">{k("keyCleared", { date: fmt(cert.keyClearedAt) })}</p>}
        <p className="mt-3"><a href={`/api/my/certificates/${cert.id}`} download data-testid="usercert-download" className="text-sm text-brand-700 underline">{k("download")}</a></p>
      </Card>

      <div className="flex flex-col gap-2">
        {panel("panel-rename", k("renameTitle"), "", false, (
          <ActionForm action={renameCertificate} submitLabel={k("rename")} pendingLabel={k("renaming")} variant="secondary" testId="usercert-rename">
            {hidden}
            <Field label={k("newName")} name="name" defaultValue={cert.name} maxLength={100} autoComplete="off" required />
          </ActionForm>
        ))}
        {panel("panel-replace", k("replaceTitle"), k("replaceExplain"), false, (
          <ActionForm action={replaceCertificate} submitLabel={k("replace")} pendingLabel={k("replacing")} variant="secondary" testId="usercert-replace">
            {hidden}
            <Field label={k("file")} name="file" type="file" accept=".p12,.pfx,application/x-pkcs12" hint={k("fileHint", { maxKb: MAX_PKCS12_BYTES / 1024 })} required />
            <Field label={k("password")} name="password" type="password" autoComplete="off" />
            {tick("replaceConfirm")}
          </ActionForm>
        ))}
        {/* Kept after clearing so its result stays on screen; a second clear is refused. */}
        {panel("panel-clear", k("clearTitle"), cert.keyClearedAt ? k("keyCleared", { date: fmt(cert.keyClearedAt) }) : k("clearExplain"), true, (
          <ActionForm action={clearCertificateKey} submitLabel={k("clear")} pendingLabel={k("clearing")} variant="danger" testId="usercert-clear">
            {hidden}
            {tick("clearConfirm")}
          </ActionForm>
        ))}
        {panel("panel-delete", k("deleteTitle"), k("deleteExplain"), true, (
          <ActionForm action={deleteCertificate} submitLabel={k("delete")} pendingLabel={k("deleting")} variant="danger" testId="usercert-delete">
            {hidden}
            {tick("deleteConfirm")}
          </ActionForm>
        ))}
      </div>
    </>
  );
}
