import { requireEndUser } from "@/lib/auth/session";
import { getT } from "@/lib/i18n/server";
import { Card } from "@/components/page-header";

export default async function MyDevices() {
  const user = await requireEndUser();
  const t = await getT();
  return (
    <>
      <h1 className="text-2xl font-semibold">{t("portal.title")}</h1>
      <p className="text-slate-700">{t("portal.hello", { name: user.displayName })}</p>
      <Card>
        <p className="font-medium">{t("portal.noDevices")}</p>
        <p className="mt-1 text-sm text-slate-600">{t("portal.noDevicesHint")}</p>
      </Card>
      <Card title={t("portal.account")}>
        <dl className="grid gap-2 text-sm">
          <div><dt className="text-slate-600">{t("portal.name")}</dt><dd>{user.displayName}</dd></div>
          <div><dt className="text-slate-600">{t("portal.email")}</dt><dd className="break-all">{user.email}</dd></div>
        </dl>
      </Card>
    </>
  );
}
