import { view } from "@/lib/auth/guard";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { activeIdentity } from "@/lib/push-certificates/service";
import { enrollmentStage } from "@/lib/enrollment/service";
import { profileSigner } from "@/lib/pki/profile-signer";
import { ActionForm } from "@/components/action-form";
import { Field, SelectField } from "@/components/field";
import { Card, PageHeader } from "@/components/page-header";
import { createLink } from "./actions";

export default async function EnrollmentPage() {
  await view.admin("/admin/enrollment");
  const [t, fmt] = [await getT(), await getFormatter()];
  const [users, recent, push, signing] = await Promise.all([
    prisma().user.findMany({ where: { disabled: false }, orderBy: { email: "asc" }, select: { id: true, email: true, displayName: true }, take: 500 }),
    prisma().enrollment.findMany({ orderBy: { createdAt: "desc" }, take: 20, include: { user: { select: { email: true } }, devices: { select: { id: true } } } }),
    activeIdentity(),
    profileSigner(),
  ]);
  return (
    <>
      <PageHeader title={t("enrollment.title")} intro={t("enrollment.intro")} />
      <div className="flex flex-col gap-4">
        <Card>
          {!push && <p role="alert" className="mb-3 rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200">{t("enrollment.noPush")}</p>}
          <ActionForm action={createLink} submitLabel={t("enrollment.create")} pendingLabel={t("enrollment.creating")} testId="enrollment-form" className="flex flex-col gap-3 [&_[data-testid=form-message]]:whitespace-pre-line [&_[data-testid=form-message]]:break-all">
            <SelectField label={t("enrollment.user")} name="userId" options={[["", t("enrollment.noOwner")], ...users.map((u) => [u.id, `${u.displayName} (${u.email})`] as const)]} />
            <SelectField label={t("enrollment.platform")} name="platform" options={[["", t("enrollment.anyPlatform")], ["IOS", "iPhone / iPad"], ["MACOS", "Mac"]]} />
            <Field label={t("enrollment.count")} name="count" type="number" min={1} max={100} defaultValue={1} hint={t("enrollment.countHint")} />
          </ActionForm>
        </Card>
        <Card title={t("enrollment.signing.title")}>
          <div className="flex flex-col gap-2 text-sm" data-testid="profile-signing" data-verified={signing.signer.configured ? "yes" : "no"}>
            {signing.problem && (
              <p role="alert" className="rounded-lg bg-red-50 p-3 text-red-900 ring-1 ring-red-200" data-testid="profile-signing-problem">
                {t(`enrollment.signing.problems.${signing.problem}`)}
              </p>
            )}
            <p>{t(signing.signer.configured ? "enrollment.signing.verified" : "enrollment.signing.notVerified", { subject: signing.signer.subject, date: fmt(signing.signer.notAfter, "short") })}</p>
            {!signing.signer.configured && <p className="text-slate-600">{t("enrollment.signing.howTo")}</p>}
          </div>
        </Card>
        <Card title={t("enrollment.recent")}>
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 text-slate-600">
              <tr>{["when", "user", "by", "status"].map((k) => <th key={k} scope="col" className="py-2 pr-3 font-medium">{t(`enrollment.${k}`)}</th>)}</tr>
            </thead>
            <tbody>
              {recent.map((e) => (
                <tr key={e.id} className="border-b border-slate-100" data-testid="enrollment-row">
                  <td className="py-2 pr-3 whitespace-nowrap">{fmt(e.createdAt, "short")}</td>
                  <td className="py-2 pr-3 break-all">{e.user?.email ?? t("enrollment.noOwner")}</td>
                  <td className="py-2 pr-3 break-all">{e.createdByLabel}</td>
                  <td className="py-2 pr-3">{t(`enrollment.statuses.${enrollmentStage(e)}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}
