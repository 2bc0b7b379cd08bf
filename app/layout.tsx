import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import "./globals.css";
import { I18nProvider } from "@/components/i18n-provider";
import { TimeZoneCookie } from "@/components/time-zone-cookie";
import { catalog, TIME_ZONE_COOKIE } from "@/lib/i18n";
import { getLocale, getT } from "@/lib/i18n/server";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getT();
  return { title: { default: "Mamori", template: "%s · Mamori" }, description: t("app.tagline") };
}

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const locale = await getLocale();
  const tz = (await cookies()).get(TIME_ZONE_COOKIE)?.value ?? null;
  return (
    <html lang={locale}>
      <body className="min-h-dvh">
        <I18nProvider locale={locale} messages={catalog(locale)}>
          <TimeZoneCookie current={tz} />
          {children}
        </I18nProvider>
      </body>
    </html>
  );
}
