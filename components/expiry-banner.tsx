import Link from "next/link";
import { expiringItems } from "@/lib/expiry";
import type { T } from "@/lib/i18n";

export const BANNER_DAYS = 30;
const NAME = { pushCertificate: "certificates.push", adeToken: "certificates.ade", ca: "certificates.ca" } as const;
const HREF = { pushCertificate: "/admin/certificates/push", adeToken: "/admin/certificates/ade", ca: "/admin/certificates" } as const;

/** Shown on every admin page while anything is 30 days or less from expiry, or expired. */
export async function ExpiryBanner({ t, fmt }: { t: T; fmt: (d: Date) => string }) {
  const now = new Date();
  const due = (await expiringItems(now)).filter((i) => i.daysLeft <= BANNER_DAYS);
  if (!due.length) return null;
  return (
    <div role="alert" data-testid="expiry-banner" className="border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900">
      <ul className="mx-auto flex max-w-7xl flex-col gap-1">
        {due.map((i) => {
          const expired = i.notAfter.getTime() <= now.getTime();
          const text = t(expired ? "banner.expired" : "banner.expiring", { name: t(NAME[i.kind]), days: i.daysLeft, date: fmt(i.notAfter) });
          return (
            <li key={`${i.kind}:${i.id}`}>
              {text} <Link href={HREF[i.kind]} className="font-semibold underline">{t("banner.open")}</Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
