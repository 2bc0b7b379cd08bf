import Link from "next/link";
import { expiryRows } from "@/lib/expiry/rows";
import type { T } from "@/lib/i18n";
import { DaysLeft } from "./expiry";
import { Card } from "./page-header";

/** One card per thing that expires (push certificate, ADE token): countdown, date, link. */
export async function ExpiryCards({ t, fmt }: { t: T; fmt: (d: Date) => string }) {
  const { push, ade, ca } = await expiryRows();
  const cards = [
    { key: "push", href: "/admin/certificates/push", notAfter: push?.notAfter, detail: push?.topic, bad: push?.unusableAt ? t("certificates.unusable") : null },
    { key: "ade", href: "/admin/certificates/ade", notAfter: ade?.accessTokenExpiry ?? undefined, detail: ade?.orgName, bad: null },
    { key: "ca", href: null, notAfter: ca?.notAfter, detail: ca?.subject, bad: null },
  ];
  return cards.map((c) => (
    <Card key={c.key} title={t(`certificates.${c.key}`)}>
      <div className="flex flex-col gap-1 text-sm" data-testid={`cert-card-${c.key}`}>
        {c.notAfter ? (
          <>
            <p className="text-2xl"><DaysLeft notAfter={c.notAfter} t={t} /></p>
            <p>{t("certificates.expiresOn", { date: fmt(c.notAfter) })}</p>
            {c.detail && <p className="break-all text-slate-600">{c.detail}</p>}
            {c.bad && <p className="font-semibold text-red-700">{c.bad}</p>}
          </>
        ) : (
          <p className="text-amber-800">{t("certificates.notConfigured")}</p>
        )}
        {c.href && <Link href={c.href} className="mt-2 text-brand-700 underline">{t("certificates.manage")}</Link>}
      </div>
    </Card>
  ));
}
