import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { ExpiryBanner } from "@/components/expiry-banner";
import { LicenseBanner } from "@/components/licenses";
import { AdminNav } from "@/components/admin-nav";
import { LocaleSwitcher } from "@/components/locale-switcher";
import { SignOutButton } from "@/components/sign-out-button";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const user = await view.admin("/admin");
  const [t, fmt] = [await getT(), await getFormatter()];
  return (
    <div className="min-h-dvh">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">{t("app.skipToContent")}</a>
      <header className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 bg-white px-4 py-3">
        <span className="text-lg font-bold text-brand-700">Mamori</span>
        <div className="flex flex-wrap items-center gap-3">
          <span className="text-sm text-slate-600" data-testid="signed-in-as">{t("common.signedInAs", { name: user.displayName })}</span>
          <LocaleSwitcher />
          <SignOutButton />
        </div>
      </header>
      <ExpiryBanner t={t} fmt={(d) => fmt(d)} />
      <LicenseBanner t={t} />
      <div className="mx-auto flex max-w-7xl flex-col gap-6 px-4 py-6 md:flex-row">
        <aside className="md:w-52 md:shrink-0"><AdminNav /></aside>
        <main id="main" className="min-w-0 flex-1">{children}</main>
      </div>
    </div>
  );
}
