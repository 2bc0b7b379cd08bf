import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { pendingSignup } from "@/lib/android/binding";
import { ActionForm } from "@/components/action-form";
import { Card, PageHeader } from "@/components/page-header";
import { finishSignup } from "../actions";

export const dynamic = "force-dynamic";

/**
 * Where Google sends the admin back after enterprise signup (?state=…&enterpriseToken=…).
 * Showing it changes nothing; the button finishes the pending signup this admin started.
 * Forged, replayed, expired or another admin's returns get no button.
 */
export default async function AndroidSignupReturn({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? (sp[k] as string) : null);
  const [state, token] = [one("state"), one("enterpriseToken")];
  const admin = await view.admin(`/admin/android/signup?${new URLSearchParams({ ...(state && { state }), ...(token && { enterpriseToken: token }) })}`);
  const t = await getT();
  const pending = token ? await pendingSignup(state, admin.id) : { refused: "unknown" as const };
  return (
    <>
      <PageHeader title={t("android.signupReturnTitle")} />
      <Card>
        {"refused" in pending ? (
          <p role="alert" data-testid="android-signup-result" className="text-sm text-red-800">{t("android.signupRefused")}</p>
        ) : (
          <ActionForm action={finishSignup} submitLabel={t("android.signupFinish")} pendingLabel={t("android.signupFinishing")} testId="android-signup-finish">
            <p className="text-sm">{t("android.signupReturnIntro", { name: pending.displayName, project: pending.projectId })}</p>
            <input type="hidden" name="state" value={state ?? ""} />
            <input type="hidden" name="secretEnterpriseToken" value={token ?? ""} />
          </ActionForm>
        )}
      </Card>
    </>
  );
}
