import Link from "next/link";
import type { T } from "@/lib/i18n";
import { Card } from "@/components/page-header";

/** First run: no end users yet, so the next step is adding them and sending invitations. */
export function GettingStartedCard({ t }: { t: T }) {
  return (
    <Card title={t("usersAdmin.gettingStarted")} className="md:col-span-2 xl:col-span-3">
      <ol className="list-decimal pl-5 text-sm text-slate-700">
        <li>{t("usersAdmin.start1")}</li>
        <li>{t("usersAdmin.start2")}</li>
        <li>{t("usersAdmin.start3")}</li>
      </ol>
      <Link href="/admin/users" className="mt-3 inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-4 py-2 font-medium text-white" data-testid="getting-started">{t("usersAdmin.addUsersCta")}</Link>
    </Card>
  );
}
