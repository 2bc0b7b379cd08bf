"use client";

import { startTransition, useActionState, useEffect } from "react";
import type { ActionState } from "@/lib/auth/guard";
import { useT } from "./i18n-provider";

/** The checklist's live check of the public address: runs once when shown, again on request. */
export function PublicUrlCheck({ action }: { action: (prev: ActionState, form: FormData) => Promise<ActionState> }) {
  const t = useT();
  const [state, run, pending] = useActionState(action, null);
  useEffect(() => startTransition(() => run(new FormData())), [run]);
  const reachable = state?.data?.reachable;
  return (
    <div className="mt-1 flex flex-wrap items-center gap-2 text-sm" data-testid="public-url-live" data-reachable={pending || !state ? "checking" : reachable}>
      <span role="status" aria-live="polite" className={reachable === "yes" ? "text-brand-700" : reachable === "no" ? "text-red-700" : "text-slate-600"}>
        {pending || !state ? t("checklist.live.checking") : (state.message ?? state.error)}
      </span>
      <button type="button" className="min-h-9 rounded-lg px-3 text-brand-700 underline disabled:opacity-50" disabled={pending} onClick={() => startTransition(() => run(new FormData()))}>
        {t("checklist.live.again")}
      </button>
    </div>
  );
}
