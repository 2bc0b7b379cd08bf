import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { ExpiryCards } from "@/components/expiry-cards";
import { PageHeader } from "@/components/page-header";

export default async function CertificatesPage() {
  await view.admin("/admin/certificates");
  const [t, fmt] = [await getT(), await getFormatter()];
  return (
    <>
      <PageHeader title={t("certificates.title")} intro={t("certificates.intro")} />
      <div className="grid gap-4 md:grid-cols-2">
        <ExpiryCards t={t} fmt={(d) => fmt(d)} />
      </div>
    </>
  );
}
