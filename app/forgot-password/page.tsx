import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { requestResetAction } from "./actions";

export const dynamic = "force-dynamic";

/** Asks for the address a reset link goes to; the answer never tells whether it has an account. */
export default async function ForgotPasswordPage() {
  await view.public(); // open to anyone: the rule the authorization test reads
  const t = await getT();
  return (
    <AuthCard title={t("passwordReset.title")} intro={t("passwordReset.intro")}>
      <ActionForm action={requestResetAction} submitLabel={t("passwordReset.send")} pendingLabel={t("passwordReset.sending")} testId="forgot-password-form">
        <Field label={t("go.email")} name="email" type="email" autoComplete="username" required />
      </ActionForm>
      <p className="mt-4 text-sm"><Link href="/login" className="text-brand-700 underline">{t("account.toSignIn")}</Link></p>
    </AuthCard>
  );
}
