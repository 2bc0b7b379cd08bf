import { view } from "@/lib/auth/guard";
import { redirect } from "next/navigation";
import { needsSetup } from "@/lib/setup";
import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";

export default async function SetupPage() {
  await view.public(); // open to anyone: the rule the authorization test reads
  if (!(await needsSetup())) redirect("/login");
  const t = await getT();
  return (
    <AuthCard title={t("setup.title")} intro={t("setup.intro")}>
      <SetupForm />
    </AuthCard>
  );
}
