import { getT } from "@/lib/i18n/server";

export default async function Loading() {
  const t = await getT();
  return <p role="status" className="text-sm text-slate-600">{t("common.loading")}</p>;
}
