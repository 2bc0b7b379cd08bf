import { view } from "@/lib/auth/guard";
import Link from "next/link";
import { getT } from "@/lib/i18n/server";
import { pendingEmailChange } from "@/lib/account";
import { ActionForm } from "@/components/action-form";
import { AuthCard } from "@/components/auth-card";
import { confirmEmail } from "@/app/(portal)/my/account/actions";

export const dynamic = "force-dynamic";

/**
 * The link mailed to a new address. It works signed out (the token is the proof), and it asks
 * for a click: mail scanners that open links must not use up the change.
 */
export default async function EmailChangePage({ params }: { params: Promise<{ token: string }> }) {
  await view.public(); // open to anyone: the rule the authorization test reads
  const { token } = await params;
  const t = await getT();
  const pending = await pendingEmailChange(token);
  return (
    <AuthCard title={t("account.confirmTitle")}>
      {!pending ? (
        <p role="alert" className="text-sm text-red-800" data-testid="email-link-invalid">{t("errors.account.emailLinkInvalid")}</p>
      ) : (
        <ActionForm action={confirmEmail} submitLabel={t("account.confirmButton")} pendingLabel={t("common.saving")} testId="confirm-email-form">
          <p className="text-sm">{t("account.confirmText", { from: pending.oldEmail, to: pending.newEmail })}</p>
          <input type="hidden" name="token" value={token} />
        </ActionForm>
      )}
      <p className="mt-4 text-sm"><Link href="/login" className="text-brand-700 underline">{t("account.toSignIn")}</Link></p>
    </AuthCard>
  );
}
