import { getT } from "@/lib/i18n/server";

/** Placeholder cards while a page's data loads (loading.tsx); announced politely to screen readers. */
export async function PageSkeleton({ cards = 3 }: { cards?: number }) {
  const t = await getT();
  return (
    <div role="status" aria-live="polite" className="flex flex-col gap-4">
      <div className="h-8 w-48 animate-pulse rounded bg-slate-200" />
      {Array.from({ length: cards }, (_, i) => <div key={i} className="h-28 animate-pulse rounded-2xl bg-white ring-1 ring-slate-200" />)}
      <p className="text-sm text-slate-600">{t("common.loading")}</p>
    </div>
  );
}
