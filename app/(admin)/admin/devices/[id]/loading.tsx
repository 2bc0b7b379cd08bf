import { getT } from "@/lib/i18n/server";

/** Shown while the device, its inventory and its history load. */
export default async function Loading() {
  const t = await getT();
  return (
    <div role="status" aria-live="polite" className="flex flex-col gap-4">
      <div className="h-8 w-64 animate-pulse rounded bg-slate-200" />
      <div className="grid gap-4 lg:grid-cols-2">
        {[0, 1, 2, 3].map((i) => <div key={i} className="h-40 animate-pulse rounded-2xl bg-white ring-1 ring-slate-200" />)}
      </div>
      <p className="text-sm text-slate-600">{t("common.loading")}</p>
    </div>
  );
}
