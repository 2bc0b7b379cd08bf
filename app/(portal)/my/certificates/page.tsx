import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { listCertificates, MAX_PKCS12_BYTES, PURPOSES } from "@/lib/user-certificates/service";
import { configurationsFor } from "@/lib/configurations/service";
import { Card } from "@/components/page-header";
import { FormAlert } from "@/components/field";
import { UploadForm } from "./upload-form";

export default async function MyCertificates({ searchParams }: { searchParams: Promise<{ deleted?: string }> }) {
  const user = await view.endUser("/my/certificates");
  const [t, fmt, { deleted }] = [await getT(), await getFormatter(), await searchParams];
  const [certs, configs] = await Promise.all([listCertificates(user.id), configurationsFor(user)]);
  const free = PURPOSES.filter((p) => !certs.some((c) => c.purpose === p));
  return (
    <>
      <h1 className="text-2xl font-semibold">{t("myCertificates.title")}</h1>
      <p className="text-sm text-slate-700">{t("myCertificates.intro")}</p>
      {deleted && <FormAlert message={t("myCertificates.deleted")} />}
      <p className="rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-700 ring-1 ring-slate-200" data-testid="applies-to">
        {configs.length ? t("myCertificates.appliesTo", { names: configs.map((c) => c.name).join(", ") }) : t("myCertificates.noConfiguration")}
      </p>

      <Card title={t("myCertificates.list")}>
        {certs.length === 0 ? (
          <p className="text-sm text-slate-600">{t("myCertificates.empty")}</p>
        ) : (
          <ul className="flex flex-col gap-3">
            {certs.map((c) => (
              <li key={c.id} data-testid="usercert-row" data-purpose={c.purpose} className="rounded-xl p-4 ring-1 ring-slate-200">
                <div className="flex items-start justify-between gap-3">
                  <div className="min-w-0">
                    <p className="break-words font-medium" data-testid="usercert-name">{c.name}</p>
                    <p className="text-sm text-slate-600">{t(`myCertificates.purposes.${c.purpose}`)}</p>
                  </div>
                  <Link href={`/my/certificates/${c.id}`} className="inline-flex min-h-11 items-center rounded-lg px-4 text-sm font-medium text-brand-700 ring-1 ring-slate-300" aria-label={`${t("myCertificates.edit")}: ${c.name}`}>
                    {t("myCertificates.edit")}
                  </Link>
                </div>
                <dl className="mt-3 grid gap-1 text-sm">
                  <div><dt className="inline text-slate-600">{t("myCertificates.issuer")}: </dt><dd className="inline break-all" data-testid="usercert-issuer">{c.issuer}</dd></div>
                  <div><dt className="inline text-slate-600">{t("myCertificates.uploadedAt")}: </dt><dd className="inline">{fmt(c.uploadedAt)}</dd></div>
                  <div><dt className="inline text-slate-600">{t("myCertificates.expiresAt")}: </dt><dd className="inline">{fmt(c.notAfter)}</dd></div>
                </dl>
                {c.keyClearedAt && <p className="mt-2 text-sm text-amber-800" data-testid="usercert-key-cleared">{t("myCertificates.keyCleared", { date: fmt(c.keyClearedAt) })}</p>}
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title={t("myCertificates.addTitle")}>
        {free.length === 0 ? (
          <p className="text-sm text-slate-600">{t("myCertificates.allPurposesUsed")}</p>
        ) : (
          <UploadForm
            purposes={free.map((p) => ({ value: p, label: t(`myCertificates.purposes.${p}`) }))}
            labels={{
              purpose: t("myCertificates.purposeLabel"), choose: t("myCertificates.purposeChoose"), file: t("myCertificates.file"),
              fileHint: t("myCertificates.fileHint", { maxKb: MAX_PKCS12_BYTES / 1024 }), password: t("myCertificates.password"),
              name: t("myCertificates.nameLabel"), nameHint: t("myCertificates.nameHint"), submit: t("myCertificates.upload"), pending: t("myCertificates.uploading"),
            }}
          />
        )}
      </Card>
    </>
  );
}
