import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { LocaleSwitcher } from "@/components/locale-switcher";
import { SignOutButton } from "@/components/sign-out-button";
import { PortalNav } from "@/components/portal-nav";

export const dynamic = "force-dynamic";

// Mobile first: one column, large touch targets, comfortable at 375 px.
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  await view.endUser("/my");
  const t = await getT();
  return (
    <div className="mx-auto min-h-dvh w-full max-w-xl">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">{t("app.skipToContent")}</a>
      <header className="flex items-center justify-between gap-2 border-b border-slate-200 bg-white px-4 py-3">
        <span className="text-lg font-bold text-brand-700">Mamori</span>
        <div className="flex items-center gap-2">
          <LocaleSwitcher />
          <SignOutButton />
        </div>
      </header>
      <PortalNav />
      <main id="main" className="flex flex-col gap-4 px-4 py-5">{children}</main>
    </div>
  );
}
