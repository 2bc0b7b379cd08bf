import Link from "next/link";
import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";

export default async function NotFound() {
  const t = await getT();
  return (
    <AuthCard title={t("notFound.title")}>
      <p className="mb-4 text-slate-700">{t("notFound.body")}</p>
      <Link href="/" className="text-brand-700 underline">{t("notFound.back")}</Link>
    </AuthCard>
  );
}
