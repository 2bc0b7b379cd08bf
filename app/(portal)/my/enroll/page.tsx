import { headers } from "next/headers";
import { view } from "@/lib/auth/guard";
import { requestContext } from "@/lib/request";
import { getFormatter, getT } from "@/lib/i18n/server";
import { resolvePublicUrl } from "@/lib/settings";
import { createQrToken } from "@/lib/invitations/tickets";
import { qrSvg } from "@/lib/invitations/qr";
import { Card } from "@/components/page-header";

export const dynamic = "force-dynamic";

/** Add a device: the /go address to type on it, or a single-use QR code to scan with its camera. */
export default async function MyEnrollPage() {
  const user = await view.endUser("/my/enroll");
  const [t, fmt] = [await getT(), await getFormatter()];
  const base = await resolvePublicUrl((await headers()).get("host"));
  const qr = await createQrToken(user.id, { id: user.id, label: user.email }, await requestContext());
  const url = `${base}/go/t/${qr.secret}`;
  // A second token for the button: tapping it here must not spend the code shown for another device.
  const here = await createQrToken(user.id, { id: user.id, label: user.email }, await requestContext());
  return (
    <>
      <h1 className="text-xl font-semibold">{t("myEnroll.title")}</h1>
      <Card title={t("myEnroll.thisDevice")}>
        <p className="text-sm text-slate-700">{t("myEnroll.thisDeviceBody")}</p>
        <a href={`/go/t/${here.secret}`} className="mt-3 inline-flex min-h-11 items-center rounded-lg bg-brand-600 px-4 py-2 font-medium text-white">{t("myEnroll.start")}</a>
      </Card>
      <Card title={t("myEnroll.otherDevice")}>
        <p className="text-sm text-slate-700">{t("myEnroll.otherDeviceBody", { url: `${base}/go` })}</p>
        <div className="mx-auto mt-3 w-56 max-w-full" role="img" aria-label={t("myEnroll.qrAlt")} dangerouslySetInnerHTML={{ __html: await qrSvg(url) }} />
        <p className="mt-2 text-center text-xs text-slate-600">{t("myEnroll.qrValid", { date: fmt(qr.expiresAt) })}</p>
        <p className="sr-only" data-testid="qr-url">{url}</p>
      </Card>
    </>
  );
}
