"use client";

import { useState } from "react";
import { Badge } from "@/components/badge";
import { useT } from "@/components/i18n-provider";
import { usePoll } from "@/components/use-poll";
import type { BulkOutcome } from "@/lib/devices/bulk-outcome";

const POLL_MS = 2500;

/** A bulk run's result on the devices, followed until every device has answered. */
export function BulkOutcomeView({ batchId }: { batchId: string }) {
  const t = useT();
  const [o, setO] = useState<BulkOutcome | null>(null);
  usePoll(async () => {
    const res = await fetch(`/api/admin/devices/bulk/${batchId}`, { cache: "no-store" });
    if (!res.ok) return;
    const next = (await res.json()) as BulkOutcome;
    setO(next);
    return !next.finished;
  }, POLL_MS, !o?.finished, true);
  if (!o) return null;
  const n = (x: number) => x.toLocaleString("en-US");
  return (
    <section aria-labelledby={`outcome-${batchId}`} className="w-full basis-full rounded-lg bg-white p-3 text-sm ring-1 ring-slate-200" data-testid="bulk-outcome" data-finished={o.finished ? "true" : "false"}>
      <h3 id={`outcome-${batchId}`} className="mb-2 font-medium text-slate-800">{t("devices.bulk.outcome.title")}</h3>
      <p className="flex flex-wrap gap-2" aria-live="polite">
        <Badge tone="ok" testId="outcome-done">{t("devices.bulk.outcome.done", { count: n(o.done) })}</Badge>
        {o.failed > 0 && <Badge tone="bad" testId="outcome-failed">{t("devices.bulk.outcome.failed", { count: n(o.failed) })}</Badge>}
        {o.waiting > 0 && <Badge tone="neutral" testId="outcome-waiting">{t("devices.bulk.outcome.waiting", { count: n(o.waiting) })}</Badge>}
        {o.notNow > 0 && <Badge tone="warn" testId="outcome-not-now">{t("devices.bulk.outcome.notNow", { count: n(o.notNow) })}</Badge>}
        {o.ended > 0 && <Badge tone="muted" testId="outcome-ended">{t("devices.bulk.outcome.ended", { count: n(o.ended) })}</Badge>}
      </p>
      {o.reasons.length > 0 && (
        <div className="mt-2">
          <p className="text-xs font-medium text-slate-700">{t("devices.bulk.outcome.reasons")}</p>
          <ul className="list-disc pl-5 text-xs text-red-800" data-testid="outcome-reasons">
            {o.reasons.map((r) => <li key={r.text}>{t("devices.bulk.outcome.reason", { text: r.text || t("devices.bulk.outcome.unknownReason"), count: n(r.devices) })}</li>)}
          </ul>
        </div>
      )}
      <p className="mt-2 text-xs text-slate-600" data-testid="outcome-state">{t(o.finished ? "devices.bulk.outcome.finished" : "devices.bulk.outcome.following")}</p>
    </section>
  );
}
