import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import "./globals.css";
import { THEME_COLOR } from "./manifest";
import { I18nProvider } from "@/components/i18n-provider";
import { TimeZoneCookie } from "@/components/time-zone-cookie";
import { TIME_ZONE_COOKIE } from "@/lib/i18n";
import { getLocale, getT } from "@/lib/i18n/server";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getT();
  return {
    title: { default: "Mamori", template: "%s · Mamori" },
    description: t("app.tagline"),
    // public/ (drawn by scripts/icons.ts); the manifest is app/manifest.ts.
    icons: {
      icon: [
        { url: "/favicon.ico", sizes: "16x16 32x32 48x48" },
        { url: "/icon.svg", type: "image/svg+xml" },
      ],
      apple: [{ url: "/apple-touch-icon.png", sizes: "180x180", type: "image/png" }],
    },
    manifest: "/manifest.webmanifest",
    // Add to Home Screen on iPhone: the portal opens full screen under this title.
    appleWebApp: { capable: true, title: "Mamori", statusBarStyle: "default" },
  };
}

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: THEME_COLOR };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const locale = await getLocale();
  const tz = (await cookies()).get(TIME_ZONE_COOKIE)?.value ?? null;
  return (
    <html lang={locale}>
      <body className="min-h-dvh">
        <I18nProvider locale={locale}>
          <TimeZoneCookie current={tz} />
          {children}
        </I18nProvider>
      </body>
    </html>
  );
}
