import Link from "next/link";
import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { wipeConfirmationChoices } from "@/lib/devices/detail";
import { ownDevice } from "@/lib/auth/owner";
import { myDeviceStatus, portalAvailability } from "@/lib/portal/devices";
import { allowedActions, PORTAL_ACTIONS } from "@/lib/privacy";
import { Card } from "@/components/page-header";
import { DevicePanel, type Offer } from "./device-panel";

export default async function MyDevicePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await view.endUser(`/my/devices/${id}`);
  // Someone else's device and a missing one look the same: 404 (the layout audited the attempt).
  const device = await ownDevice(user, id);
  if (!device) notFound();
  const [t, allowed, status] = [await getT(), await allowedActions(user), await myDeviceStatus(user, device)];
  const available = portalAvailability(device);
  // The portal offers only what privacy allows; what the device cannot do is explained.
  const offers: Offer[] = PORTAL_ACTIONS.filter((a) => allowed[a]).map((a) => ({ action: a, unavailable: available[a] }));
  const rows: [string, string | null, string?][] = [
    [t("myDevices.model"), device.modelName ?? device.model ?? device.productName],
    [t("myDevices.os"), device.osVersion ? `${t(`myDevices.platforms.${device.platform}`)} ${device.osVersion}` : t(`myDevices.platforms.${device.platform}`)],
    [t("myDevices.status"), t(`devices.statuses.${device.status}`), "device-status"],
    [t("myDevices.serial"), device.serialNumber],
  ];
  return (
    <>
      <p><Link href="/my" className="text-sm text-brand-700 underline">{t("myDevice.back")}</Link></p>
      <h1 className="text-2xl font-semibold break-words">{device.name ?? device.serialNumber ?? t("myDevices.unnamed")}</h1>
      <Card>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
          {rows.filter(([, v]) => v).map(([k, v, testId]) => (
            <div key={k} className="contents">
              <dt className="text-slate-600">{k}</dt>
              <dd className="break-words" data-testid={testId}>{v}</dd>
            </div>
          ))}
        </dl>
      </Card>
      <DevicePanel
        deviceId={device.id}
        platform={device.platform}
        offers={offers}
        confirmWith={wipeConfirmationChoices(device)}
        initial={status}
      />
    </>
  );
}
