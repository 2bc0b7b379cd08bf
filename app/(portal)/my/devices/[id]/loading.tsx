import { getT } from "@/lib/i18n/server";

/** Shown while the device and its latest requests load. */
export default async function Loading() {
  const t = await getT();
  return (
    <div role="status" aria-live="polite" className="flex flex-col gap-4">
      <div className="h-8 w-48 animate-pulse rounded bg-slate-200" />
      {[0, 1, 2].map((i) => <div key={i} className="h-28 animate-pulse rounded-2xl bg-white ring-1 ring-slate-200" />)}
      <p className="text-sm text-slate-600">{t("common.loading")}</p>
    </div>
  );
}
