"use client";

import { createContext, useContext, useEffect, useRef, useState } from "react";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { useT } from "@/components/i18n-provider";
import type { ActionState } from "@/lib/auth/guard";
import { BulkOutcomeView } from "./bulk-outcome";

// Which devices of the list are selected for a bulk action: some rows of this page, or every
// device matching the filter (sent as the filter, not as ids, and resolved on the server).

type Selection = { all: boolean; ids: ReadonlySet<string> };
const NONE: Selection = { all: false, ids: new Set() };

const Ctx = createContext<{ sel: Selection; set: (s: Selection) => void; pageIds: string[]; total: number; max: number } | null>(null);

function useSelection() {
  const c = useContext(Ctx);
  if (!c) throw new Error("outside SelectionProvider");
  return c;
}

/** Remount it (key) when the query changes: a selection belongs to one page of one filter. */
export function SelectionProvider({ pageIds, total, max, children }: { pageIds: string[]; total: number; max: number; children: React.ReactNode }) {
  const [sel, set] = useState<Selection>(NONE);
  return <Ctx.Provider value={{ sel, set, pageIds, total, max }}>{children}</Ctx.Provider>;
}

export function RowCheckbox({ id, label }: { id: string; label: string }) {
  const t = useT();
  const { sel, set } = useSelection();
  return (
    <input
      type="checkbox"
      className="size-5 accent-brand-600"
      data-testid="row-select"
      aria-label={t("devices.selectRow", { name: label })}
      checked={sel.all || sel.ids.has(id)}
      disabled={sel.all}
      onChange={(e) => {
        const ids = new Set(sel.ids);
        if (e.target.checked) ids.add(id);
        else ids.delete(id);
        set({ all: false, ids });
      }}
    />
  );
}

export function PageCheckbox() {
  const t = useT();
  const { sel, set, pageIds } = useSelection();
  const ref = useRef<HTMLInputElement>(null);
  const chosen = pageIds.filter((id) => sel.ids.has(id)).length;
  const every = sel.all || (pageIds.length > 0 && chosen === pageIds.length);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = !every && chosen > 0;
  }, [every, chosen]);
  return (
    <input
      ref={ref}
      type="checkbox"
      className="size-5 accent-brand-600"
      data-testid="page-select"
      aria-label={t("devices.selectPage")}
      checked={every}
      disabled={sel.all || pageIds.length === 0}
      onChange={(e) => set({ all: false, ids: new Set(e.target.checked ? pageIds : []) })}
    />
  );
}

/**
 * What is selected, "select all matching", and the bulk action form: shown once a row is
 * selected, and after a run for its result on the devices.
 */
export function BulkPanel({ action, filter, actions, confirmByCount }: {
  action: (prev: ActionState, form: FormData) => Promise<ActionState>;
  /** The list's query string: the filter "all matching" stands for. */
  filter: string;
  actions: readonly string[];
  confirmByCount: readonly string[];
}) {
  const t = useT();
  const { sel, set, pageIds, total, max } = useSelection();
  const [act, setAct] = useState(actions[0]!);
  const [lastBatch, setLastBatch] = useState<string | null>(null);
  const count = sel.all ? total : sel.ids.size;
  // A successful run (ActionForm resets its form) starts again from nothing selected and keeps
  // the run to follow its result.
  const onSuccess = (state: NonNullable<ActionState>) => {
    set(NONE);
    setAct(actions[0]!);
    setLastBatch(state.data?.batchId ?? null);
  };
  const destructive = confirmByCount.includes(act);
  if (count === 0 && !lastBatch) return null;
  const link = "rounded-lg px-3 py-1.5 font-medium text-brand-700 ring-1 ring-brand-200 hover:bg-brand-50";
  return (
    <section aria-label={t("devices.bulk.title")} data-testid="bulk-panel" className="mb-4 flex flex-col gap-3 rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span className="font-semibold" data-testid="selected-count" aria-live="polite">
          {sel.all ? t("devices.bulk.allSelected", { count: total.toLocaleString("en-US") }) : t("devices.bulk.selected", { count })}
        </span>
        {!sel.all && total > pageIds.length && total <= max && (
          <button type="button" className={link} onClick={() => set({ all: true, ids: new Set() })}>{t("devices.bulk.selectAll", { count: total.toLocaleString("en-US") })}</button>
        )}
        {count > 0 && <button type="button" className={link} onClick={() => set(NONE)}>{t("devices.bulk.clear")}</button>}
        <span className="text-xs text-slate-600" data-testid="bulk-limit">{t("devices.bulk.limit", { max: max.toLocaleString("en-US") })}</span>
      </div>
      {/* Nothing selected: nothing to run, but the last run's report stays readable. */}
      <fieldset disabled={count === 0} className="min-w-0">
        <ActionForm
          action={action}
          submitLabel={t("devices.bulk.run", { count: count.toLocaleString("en-US") })}
          pendingLabel={t("devices.bulk.running")}
          variant={destructive ? "danger" : "primary"}
          testId="bulk-form"
          onSuccess={onSuccess}
          className="flex flex-wrap items-start gap-3 [&>div:last-child]:basis-full [&>[role=alert]]:basis-full [&>[role=alert]]:whitespace-pre-line [&>[role=status]]:basis-full [&>[role=status]]:whitespace-pre-line"
        >
          <input type="hidden" name="scope" value={sel.all ? "filter" : "selected"} />
          <input type="hidden" name="ids" value={sel.all ? "" : [...sel.ids].join(",")} />
          <input type="hidden" name="filter" value={filter} />
          <label className="flex flex-col gap-1 text-sm font-medium text-slate-800">
            {t("devices.bulk.action")}
            <select name="action" value={act} onChange={(e) => setAct(e.target.value)} className="min-h-11 rounded-lg border border-slate-300 bg-white px-3 font-normal">
              {actions.map((a) => <option key={a} value={a}>{t(`devices.bulk.actions.${a}`)}</option>)}
            </select>
          </label>
          {act === "lock" && (
            <>
              <Field label={t("devices.bulk.message")} name="message" maxLength={200} />
              <Field label={t("devices.bulk.phone")} name="phoneNumber" type="tel" maxLength={40} />
            </>
          )}
          {(act === "lock" || act === "wipe") && (
            <div className="max-w-xs">
              <Field label={t("devices.bulk.pin")} name="pin" inputMode="numeric" autoComplete="off" maxLength={6} hint={t(act === "lock" ? "devices.bulk.pinLockHint" : "devices.bulk.pinWipeHint")} />
            </div>
          )}
          {destructive && (
            <div className="max-w-xs">
              <Field label={t("devices.bulk.confirm", { count: count })} name="confirm" inputMode="numeric" autoComplete="off" hint={t(`devices.bulk.confirmHint.${act}`)} />
            </div>
          )}
        </ActionForm>
      </fieldset>
      {lastBatch && <BulkOutcomeView key={lastBatch} batchId={lastBatch} />}
    </section>
  );
}
