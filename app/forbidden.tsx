import Link from "next/link";
import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";

export default async function Forbidden() {
  const t = await getT();
  return (
    <AuthCard title={t("forbidden.title")}>
      <p className="mb-4 text-slate-700" data-testid="forbidden">{t("forbidden.body")}</p>
      <Link href="/my" className="text-brand-700 underline">{t("forbidden.back")}</Link>
    </AuthCard>
  );
}
