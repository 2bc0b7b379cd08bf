import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { pendingPasswordReset } from "@/lib/account/password-reset";
import { AuthCard } from "@/components/auth-card";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { PASSWORD_MAX, PASSWORD_MIN } from "@/lib/auth/password";
import { resetPasswordAction } from "@/app/forgot-password/actions";

export const dynamic = "force-dynamic";

/**
 * The mailed reset link. Opening it changes nothing (a mail scanner may open it): the new
 * password is posted by the form, and that post spends the link.
 */
export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  await view.public(); // open to anyone: the token is the proof
  const { token } = await params;
  const t = await getT();
  const pending = await pendingPasswordReset(token);
  return (
    <AuthCard title={t("passwordReset.newTitle")}>
      {!pending ? (
        <p role="alert" className="text-sm text-red-800" data-testid="reset-link-invalid">{t("errors.passwordReset.linkInvalid")}</p>
      ) : (
        <ActionForm action={resetPasswordAction} submitLabel={t("passwordReset.save")} pendingLabel={t("common.saving")} testId="reset-password-form">
          <p className="text-sm">{t("passwordReset.newIntro", { email: pending.email })}</p>
          <input type="hidden" name="token" value={token} />
          <input type="hidden" name="username" autoComplete="username" value={pending.email} readOnly />
          <Field label={t("go.newPassword")} name="password" type="password" autoComplete="new-password" required hint={t("common.passwordRules", { min: PASSWORD_MIN, max: PASSWORD_MAX })} />
          <Field label={t("go.confirmPassword")} name="confirm" type="password" autoComplete="new-password" required />
        </ActionForm>
      )}
      <p className="mt-4 text-sm"><Link href="/forgot-password" className="text-brand-700 underline">{t("passwordReset.again")}</Link></p>
    </AuthCard>
  );
}
