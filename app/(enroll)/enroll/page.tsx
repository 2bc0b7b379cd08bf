import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";

export default async function EnrollPage() {
  const t = await getT();
  return (
    <AuthCard title={t("enroll.title")}>
      <p className="text-slate-700">{t("enroll.body")}</p>
    </AuthCard>
  );
}
