"use client";

import { useEffect, useState } from "react";
import { EnrollmentStatus, type StatusLabels } from "./enrollment-status";

/**
 * A plain form post: the answer is the profile itself, which Safari offers to install.
 * It shows a pending state while the profile is prepared; the page stays, so after a moment the
 * button is offered again (the link works once: a second tap fetches a fresh one).
 */
export function DownloadForm({ platform, label, pendingLabel, doneLabel, status, helpAfter }: { platform: string; label: string; pendingLabel: string; doneLabel: string; status: StatusLabels; helpAfter: number }) {
  const [state, setState] = useState<"idle" | "pending" | "done">("idle");
  const [downloadedAt, setDownloadedAt] = useState<number | null>(null);
  useEffect(() => {
    if (state !== "pending") return;
    const timer = setTimeout(() => setState("done"), 4000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <form method="post" action="/go/profile" className="flex flex-col gap-2" onSubmit={() => {
        setState("pending");
        setDownloadedAt(Date.now());
      }} aria-busy={state === "pending"}>
      <input type="hidden" name="platform" value={platform} />
      <button type="submit" disabled={state === "pending"} className="inline-flex min-h-12 items-center justify-center gap-2 rounded-lg bg-brand-600 px-4 py-3 text-lg font-medium text-white hover:bg-brand-700 disabled:opacity-60">
        {state === "pending" && <span aria-hidden className="size-4 animate-spin rounded-full border-2 border-current border-t-transparent" />}
        {state === "pending" ? pendingLabel : label}
      </button>
      {state === "done" && <p role="status" className="rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-800 ring-1 ring-brand-100">{doneLabel}</p>}
      <EnrollmentStatus labels={status} downloadedAt={downloadedAt} helpAfter={helpAfter} />
    </form>
  );
}
