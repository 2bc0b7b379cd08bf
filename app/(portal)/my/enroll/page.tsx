import { headers } from "next/headers";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { resolvePublicUrl } from "@/lib/settings";
import { ActionForm } from "@/components/action-form";
import { Card } from "@/components/page-header";
import { goContinueAction } from "@/app/go/actions";
import { QrForm } from "./qr-form";

export const dynamic = "force-dynamic";

/**
 * Add a device: the /go address to type on it, or a single-use QR code to scan with its camera.
 * Viewing this page changes nothing: the QR token and the /go ticket are made by the buttons (POST).
 */
export default async function MyEnrollPage() {
  await view.endUser("/my/enroll");
  const t = await getT();
  const base = await resolvePublicUrl((await headers()).get("host"));
  return (
    <>
      <h1 className="text-xl font-semibold">{t("myEnroll.title")}</h1>
      <Card title={t("myEnroll.thisDevice")}>
        <p className="text-sm text-slate-700">{t("myEnroll.thisDeviceBody")}</p>
        <ActionForm action={goContinueAction} submitLabel={t("myEnroll.start")} pendingLabel={t("go.checking")} testId="my-enroll-here" className="mt-3" />
      </Card>
      <Card title={t("myEnroll.otherDevice")}>
        <p className="text-sm text-slate-700">{t("myEnroll.otherDeviceBody", { url: `${base}/go` })}</p>
        <QrForm />
      </Card>
    </>
  );
}
