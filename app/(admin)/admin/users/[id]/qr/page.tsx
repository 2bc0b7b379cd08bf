import Link from "next/link";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { requestContext } from "@/lib/request";
import { getFormatter, getT } from "@/lib/i18n/server";
import { resolvePublicUrl } from "@/lib/settings";
import { createQrToken } from "@/lib/invitations/tickets";
import { qrSvg } from "@/lib/invitations/qr";
import { deliverableBase } from "@/lib/setup-checklist";
import { isUserError } from "@/lib/errors";
import { Card, PageHeader } from "@/components/page-header";
import { FormAlert } from "@/components/field";
import { prisma } from "@/lib/db/client";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/** A fresh single-use QR code for one user's next device; every visit makes (and audits) a new one. */
export default async function UserQrPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const me = await view.admin(`/admin/users/${id}/qr`);
  if (!isUuid(id)) notFound();
  const user = await prisma().user.findUnique({ where: { id } });
  if (!user) notFound();
  const [t, fmt] = [await getT(), await getFormatter()];
  let body: React.ReactNode;
  try {
    const ctx = await requestContext();
    const base = await deliverableBase(await resolvePublicUrl((await headers()).get("host")), "enrollment.qr_create", { id: me.id, label: me.email }, ctx);
    const qr = await createQrToken(user.id, { id: me.id, label: me.email }, ctx);
    const url = `${base}/go/t/${qr.secret}`;
    body = (
      <div className="flex flex-col items-center gap-3">
        <div className="w-64 max-w-full" role="img" aria-label={t("usersAdmin.qrAlt", { email: user.email })} dangerouslySetInnerHTML={{ __html: await qrSvg(url) }} />
        <p className="text-sm text-slate-700">{t("usersAdmin.qrHint", { date: fmt(qr.expiresAt) })}</p>
        <p className="break-all font-mono text-xs text-slate-500" data-testid="qr-url">{url}</p>
      </div>
    );
  } catch (e) {
    if (!isUserError(e)) throw e;
    body = <FormAlert error={t(`errors.${e.code}`, e.params)} />;
  }
  return (
    <>
      <PageHeader title={t("usersAdmin.qrTitle", { name: user.displayName })} />
      <p className="mb-4 text-sm"><Link href={`/admin/users/${user.id}`} className="text-brand-700 underline">{t("usersAdmin.backToUser")}</Link></p>
      <Card>{body}</Card>
    </>
  );
}
