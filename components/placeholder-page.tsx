import { requireAdmin } from "@/lib/auth/session";
import { getT } from "@/lib/i18n/server";
import { Card, PageHeader } from "./page-header";

/** A console section whose feature has not landed yet: says what will be there, honestly. */
export async function PlaceholderPage({ section }: { section: "devices" }) {
  await requireAdmin(`/admin/${section}`);
  const t = await getT();
  return (
    <>
      <PageHeader title={t(`placeholder.${section}Title`)} intro={t(`placeholder.${section}Body`)} />
      <Card><p className="text-sm text-slate-600">{t("placeholder.notYet")}</p></Card>
    </>
  );
}
