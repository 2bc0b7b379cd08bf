import Link from "next/link";
import type { ChecklistItem, ItemState } from "@/lib/setup-checklist";
import type { T } from "@/lib/i18n";
import { checkPublicUrlAction } from "@/app/(admin)/admin/setup-status/actions";
import { PublicUrlCheck } from "./public-url-check";

const MARK: Record<ItemState, { icon: string; style: string }> = {
  done: { icon: "✓", style: "bg-brand-600 text-white" },
  todo: { icon: "!", style: "bg-red-600 text-white" },
  warning: { icon: "!", style: "bg-amber-500 text-white" },
  optional: { icon: "–", style: "bg-slate-200 text-slate-700" },
};

/** The setup checklist: each item's state in words, why it matters in one sentence, and where to fix it. */
export function SetupChecklist({ t, items }: { t: T; items: ChecklistItem[] }) {
  return (
    <ol className="flex flex-col divide-y divide-slate-100" data-testid="setup-checklist">
      {items.map((i) => (
        <li key={i.key} className="flex gap-3 py-3" data-testid={`setup-${i.key}`} data-state={i.state}>
          <span aria-hidden className={`mt-0.5 inline-flex size-6 shrink-0 items-center justify-center rounded-full text-xs font-bold ${MARK[i.state].style}`}>{MARK[i.state].icon}</span>
          <div className="flex min-w-0 flex-col gap-0.5">
            <p className="font-medium">
              {t(`checklist.items.${i.key}.title`)}
              <span className="sr-only"> ({t(`checklist.states.${i.state}`)})</span>
              {!i.required && <span className="ml-2 text-xs font-normal text-slate-500">{t("checklist.optional")}</span>}
            </p>
            <p className="break-words text-sm text-slate-700" data-testid="setup-detail">{t(`checklist.items.${i.key}.states.${i.detail}`, i.params?.transport ? { ...i.params, transport: t(`settings.transports.${i.params.transport}`) } : i.params)}</p>
            <p className="text-sm text-slate-600">{t(`checklist.items.${i.key}.why`)}</p>
            {i.key === "publicUrl" && i.state !== "todo" && <PublicUrlCheck action={checkPublicUrlAction} />}
            {i.state !== "done" && (
              <p><Link href={i.href} className="text-sm text-brand-700 underline">{t(`checklist.items.${i.key}.fix`)}</Link></p>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}
