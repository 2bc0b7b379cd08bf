import Link from "next/link";
import { licenseUsage, licensesFull, type LicenseUsage } from "@/lib/licenses";
import type { T } from "@/lib/i18n";
import { BarFill } from "./bar-fill";
import { Card } from "./page-header";

const LEVEL_STYLE = { unlimited: "text-slate-900", ok: "text-slate-900", warning: "text-amber-700", full: "text-red-700" } as const;
const BAR_STYLE = { unlimited: "fill-brand-600", ok: "fill-brand-600", warning: "fill-amber-500", full: "fill-red-600" } as const;

/** Dashboard card (seed 002: 機器ライセンス 使用数/契約数): used / total, amber from 90%, red when full. */
export function LicenseCard({ usage, t }: { usage: LicenseUsage; t: T }) {
  const { used, total, level } = usage;
  const percent = total ? Math.min(100, Math.round((used / total) * 100)) : 0;
  return (
    <Card title={t("licenses.title")}>
      <div className="flex flex-col gap-2 text-sm" data-testid="license-card" data-level={level}>
        <p className={`text-2xl font-semibold ${LEVEL_STYLE[level]}`} data-testid="license-count">
          {used} / {total ?? t("licenses.unlimited")}
        </p>
        <p className="text-slate-600">{t("licenses.caption")}</p>
        {total !== null && (
          <div className="h-2 w-full overflow-hidden rounded-full bg-slate-100" role="meter" aria-valuemin={0} aria-valuemax={total} aria-valuenow={used} aria-label={t("licenses.title")}>
            <BarFill percent={percent} className={BAR_STYLE[level]} />
          </div>
        )}
        {level === "warning" && <p className="font-semibold text-amber-800" data-testid="license-warning">{t("licenses.warning", { remaining: total! - used })}</p>}
        {level === "full" && <p className="font-semibold text-red-700" data-testid="license-warning">{t("licenses.full")}</p>}
        <Link href="/admin/settings" className="mt-1 text-brand-700 underline">{t("licenses.manage")}</Link>
      </div>
    </Card>
  );
}

/** A line on every admin page once every device license is in use. */
export async function LicenseBanner({ t }: { t: T }) {
  const full = await licensesFull();
  if (!full) return null;
  const { used, total } = full;
  return (
    <div role="alert" data-testid="license-banner" className="border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900">
      <p className="mx-auto max-w-7xl">
        {t(used > total ? "licenses.bannerOver" : "licenses.bannerFull", { used, total })}{" "}
        <Link href="/admin/settings" className="font-semibold underline">{t("banner.open")}</Link>
      </p>
    </div>
  );
}
