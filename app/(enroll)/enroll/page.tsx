import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";

export default async function EnrollPage() {
  await view.public(); // open to anyone: the rule the authorization test reads
  const t = await getT();
  return (
    <AuthCard title={t("enroll.title")}>
      <p className="text-slate-700">{t("enroll.body")}</p>
    </AuthCard>
  );
}
