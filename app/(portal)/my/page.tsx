import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { myDevices } from "@/lib/portal/devices";
import { Card } from "@/components/page-header";
import { Badge, DEVICE_TONE } from "@/components/badge";


export default async function MyDevices() {
  const user = await view.endUser("/my");
  const [t, fmt] = [await getT(), await getFormatter()];
  const devices = await myDevices(user.id);
  return (
    <>
      <h1 className="text-2xl font-semibold">{t("portal.title")}</h1>
      <p className="text-slate-700">{t("portal.hello", { name: user.displayName })}</p>
      {devices.length === 0 ? (
        <Card>
          <p className="font-medium">{t("portal.noDevices")}</p>
          <p className="mt-1 text-sm text-slate-600">{t("portal.noDevicesHint")}</p>
        </Card>
      ) : (
        <ul className="flex flex-col gap-3" data-testid="my-devices">
          {devices.map((d) => (
            <li key={d.id}>
              <Link href={`/my/devices/${d.id}`} className="block rounded-2xl bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-brand-600" data-testid="my-device">
                <div className="flex items-start justify-between gap-3">
                  <span className="font-semibold break-words">{d.name ?? d.serialNumber ?? t("myDevices.unnamed")}</span>
                  <span className="shrink-0"><Badge tone={DEVICE_TONE[d.status]} testId="my-device-status">{t(`devices.statuses.${d.status}`)}</Badge></span>
                </div>
                <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                  <dt className="text-slate-600">{t("myDevices.model")}</dt>
                  <dd>{d.modelName ?? d.model ?? d.productName ?? "—"}</dd>
                  <dt className="text-slate-600">{t("myDevices.os")}</dt>
                  <dd>{t(`myDevices.platforms.${d.platform}`)}{d.osVersion ? ` ${d.osVersion}` : ""}</dd>
                  <dt className="text-slate-600">{t("myDevices.lastCheckIn")}</dt>
                  <dd>{d.lastCheckInAt ? fmt(d.lastCheckInAt) : t("myDevices.never")}</dd>
                </dl>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <Card title={t("myDevices.enrollTitle")}>
        <p className="text-sm text-slate-700">{t("myDevices.enrollText")}</p>
        <p className="mt-3">
          <Link href="/my/enroll" className="inline-flex min-h-11 w-full items-center justify-center rounded-lg bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700">{t("myDevices.enrollLink")}</Link>
        </p>
      </Card>
    </>
  );
}
