import type { T } from "@/lib/i18n";
import { Card } from "@/components/page-header";
import { recentEnrollmentFailures } from "@/lib/android/reference";

type Outcome = "refused" | { ok: boolean; enterpriseName: string | null; code: string | null; params: Record<string, string | number> } | null;

/** After Google's callback: bound, Google's refusal, or a callback that matched no signup. */
export function SignupBanner({ t, outcome }: { t: T; outcome: Outcome }) {
  if (!outcome) return null;
  if (outcome === "refused") return <p role="alert" data-testid="android-signup-result" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-red-200">{t("android.signupRefused")}</p>;
  if (outcome.ok) return <p role="status" data-testid="android-signup-result" className="rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-800 ring-1 ring-brand-100">{t("android.signupDone", { enterprise: outcome.enterpriseName ?? "" })}</p>;
  const reason = outcome.code === "unexpected" ? t("android.syncUnexpected") : t(`errors.${outcome.code}`, outcome.params);
  return <p role="alert" data-testid="android-signup-result" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-red-200">{t("android.signupFailed", { reason })}</p>;
}

/** What end users saw as a reference on /go, with Google's reason and what to do about it. */
export async function EnrollmentFailures({ t, fmt }: { t: T; fmt: (d: Date) => string }) {
  const failures = await recentEnrollmentFailures();
  return (
    <Card title={t("android.failuresTitle")}>
      <p className="mb-3 text-sm text-slate-600">{t("android.failuresIntro")}</p>
      {failures.length === 0 ? (
        <p className="text-sm text-slate-600">{t("android.failuresNone")}</p>
      ) : (
        <ul className="flex flex-col gap-3 text-sm" data-testid="android-failures">
          {failures.map((f) => (
            <li key={f.reference} className="rounded-lg p-3 ring-1 ring-slate-200" data-testid="android-failure">
              <p className="font-medium"><span className="font-mono" data-testid="android-failure-reference">{f.reference}</span> · {fmt(f.at)} · {f.user}</p>
              <p>{t(`errors.${f.code}`, f.params)}</p>
              <p className="text-slate-600">{t("android.whatToDo")}: {t(`android.help.${f.code.replace("android.", "")}`)}</p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
