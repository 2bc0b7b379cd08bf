"use client";

import { useEffect, useState } from "react";

export interface StatusLabels {
  waiting: string;
  managed: string;
  ended: string;
  helpTitle: string;
  help: string[];
}

const POLL_MS = 4000;

/**
 * Asks the server every few seconds whether the device has checked in (GET /api/go/status) and
 * says so in a live region; `helpAfter` seconds after the download without it, what to do.
 */
export function EnrollmentStatus({ labels, downloadedAt, helpAfter }: { labels: StatusLabels; downloadedAt: number | null; helpAfter: number }) {
  const [state, setState] = useState<"waiting" | "managed" | "ended">("waiting");
  const [late, setLate] = useState(false);

  useEffect(() => {
    if (state !== "waiting") return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch("/api/go/status", { cache: "no-store" });
        if (res.status === 410) return setState("ended");
        if (res.ok && (await res.json()).managed) return setState("managed");
      } catch {
        // Offline for a moment (the user is in Settings): ask again.
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    const onVisible = () => {
      if (document.visibilityState !== "visible") return;
      clearTimeout(timer);
      void poll();
    };
    void poll();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [state]);

  useEffect(() => {
    if (downloadedAt === null || state !== "waiting") return;
    const timer = setTimeout(() => setLate(true), Math.max(0, downloadedAt + helpAfter * 1000 - Date.now()));
    return () => clearTimeout(timer);
  }, [downloadedAt, helpAfter, state]);

  return (
    <div aria-live="polite" data-testid="go-status" data-state={state} className="flex flex-col gap-2">
      {state === "managed" ? (
        <p className="rounded-lg bg-green-50 px-3 py-2 font-medium text-green-900 ring-1 ring-green-200">{labels.managed}</p>
      ) : state === "ended" ? (
        <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200">{labels.ended}</p>
      ) : downloadedAt !== null ? (
        <p className="flex items-center gap-2 text-sm text-slate-700">
          <span aria-hidden className="size-3 animate-pulse rounded-full bg-brand-500" />
          {labels.waiting}
        </p>
      ) : null}
      {state === "waiting" && late && (
        <section data-testid="go-status-help" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200">
          <h2 className="font-semibold">{labels.helpTitle}</h2>
          <ol className="mt-1 list-decimal pl-5">
            {labels.help.map((h) => <li key={h}>{h}</li>)}
          </ol>
        </section>
      )}
    </div>
  );
}
