"use client";

import { ActionForm } from "@/components/action-form";
import { useT } from "@/components/i18n-provider";
import type { ActionState } from "@/lib/auth/guard";

/** Which columns the list shows: a disclosure with a tick per column, saved on the admin's account. */
export function ColumnsForm({ action, columns }: {
  action: (prev: ActionState, form: FormData) => Promise<ActionState>;
  columns: { id: string; label: string; checked: boolean }[];
}) {
  const t = useT();
  return (
    <details className="relative text-sm" data-testid="columns">
      <summary className="flex min-h-11 cursor-pointer items-center rounded-lg px-4 font-medium whitespace-nowrap ring-1 ring-slate-300 hover:bg-slate-100">{t("devices.columns.title")}</summary>
      <div className="absolute right-0 z-10 mt-2 w-72 rounded-xl bg-white p-4 shadow-lg ring-1 ring-slate-200">
        <ActionForm action={action} submitLabel={t("devices.columns.save")} pendingLabel={t("devices.columns.saving")} variant="secondary" testId="columns-form">
          <p className="text-xs text-slate-600">{t("devices.columns.intro")}</p>
          <fieldset className="flex flex-col gap-1">
            <legend className="sr-only">{t("devices.columns.title")}</legend>
            {columns.map((c) => (
              <label key={c.id} className="flex min-h-9 items-center gap-2">
                <input type="checkbox" name={c.id} defaultChecked={c.checked} className="size-5 accent-brand-600" />
                {c.label}
              </label>
            ))}
          </fieldset>
        </ActionForm>
      </div>
    </details>
  );
}
