import Link from "next/link";
import type { T } from "@/lib/i18n";

/** Previous/next links that keep the other query parameters. */
export function Pager({ page, pages, params, t }: { page: number; pages: number; params: Record<string, string>; t: T }) {
  const href = (p: number) => "?" + new URLSearchParams({ ...params, page: String(p) }).toString();
  const cls = "rounded-lg px-3 py-2 ring-1 ring-slate-300 hover:bg-slate-100";
  return (
    <nav aria-label="pagination" className="mt-4 flex items-center gap-3 text-sm">
      {page > 1 ? <Link className={cls} href={href(page - 1)}>{t("common.previous")}</Link> : null}
      <span>{t("common.page", { page, pages: Math.max(pages, 1) })}</span>
      {page < pages ? <Link className={cls} href={href(page + 1)}>{t("common.next")}</Link> : null}
    </nav>
  );
}
