import Link from "next/link";
import { redirect } from "next/navigation";
import { needsSetup } from "@/lib/setup";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { AuthCard } from "@/components/auth-card";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  if (await needsSetup()) redirect("/setup");
  if (await view.public()) redirect("/");
  const params = await searchParams;
  const t = await getT();
  const notice = params.signedOut ? t("login.signedOut") : params.reset ? t("passwordReset.done") : params.callbackUrl ? t("login.required") : undefined;
  return (
    <AuthCard title={t("login.title")}>
      <LoginForm callbackUrl={params.callbackUrl} notice={notice} />
      <p className="mt-4 text-sm"><Link href="/forgot-password" className="text-brand-700 underline">{t("login.forgot")}</Link></p>
    </AuthCard>
  );
}
