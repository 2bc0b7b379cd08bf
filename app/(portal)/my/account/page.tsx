import { view } from "@/lib/auth/guard";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { PASSWORD_MAX, PASSWORD_MIN } from "@/lib/auth/password";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { Card } from "@/components/page-header";
import { requestEmail, saveName, savePassword } from "./actions";

export default async function AccountPage({ searchParams }: { searchParams: Promise<{ password?: string }> }) {
  const user = await view.endUser("/my/account");
  const passwordChanged = (await searchParams).password === "changed";
  const [t, fmt] = [await getT(), await getFormatter()];
  const pending = await prisma().emailChange.findFirst({ where: { userId: user.id, usedAt: null, expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" } });
  return (
    <>
      <h1 className="text-2xl font-semibold">{t("account.title")}</h1>

      <Card title={t("account.nameTitle")}>
        <ActionForm action={saveName} submitLabel={t("common.save")} pendingLabel={t("common.saving")} testId="name-form">
          <Field label={t("account.displayName")} name="displayName" defaultValue={user.displayName} maxLength={100} autoComplete="name" required />
        </ActionForm>
      </Card>

      <Card title={t("account.emailTitle")}>
        <p className="mb-3 text-sm">{t("account.currentEmail")} <strong className="break-all" data-testid="current-email">{user.email}</strong></p>
        {pending && <p className="mb-3 rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="pending-email">{t("account.emailPending", { email: pending.newEmail, time: fmt(pending.expiresAt) })}</p>}
        <ActionForm action={requestEmail} submitLabel={t("account.emailButton")} pendingLabel={t("account.emailSending")} testId="email-form">
          <Field label={t("account.newEmail")} name="email" type="email" inputMode="email" autoComplete="email" maxLength={320} hint={t("account.emailHint")} required />
        </ActionForm>
      </Card>

      <Card title={t("account.passwordTitle")}>
        {passwordChanged && <p role="status" className="mb-3 rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-800 ring-1 ring-brand-100" data-testid="password-changed">{t("account.passwordSaved")}</p>}
        {user.source === "DIRECTORY" ? (
          <p className="text-sm text-slate-700" data-testid="directory-password">{t("account.passwordDirectory")}</p>
        ) : (
          <ActionForm action={savePassword} submitLabel={t("account.passwordButton")} pendingLabel={t("common.saving")} testId="password-form">
            <Field label={t("account.currentPassword")} name="current" type="password" autoComplete="current-password" required />
            <Field label={t("account.newPassword")} name="password" type="password" autoComplete="new-password" minLength={PASSWORD_MIN} hint={t("common.passwordRules", { min: PASSWORD_MIN, max: PASSWORD_MAX })} required />
            <Field label={t("account.confirmPassword")} name="confirm" type="password" autoComplete="new-password" required />
          </ActionForm>
        )}
      </Card>
    </>
  );
}
