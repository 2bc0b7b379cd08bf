"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { usePoll } from "./use-poll";
import { BarFill } from "./bar-fill";
import { useT } from "./i18n-provider";
import type { JobView } from "@/lib/jobs/view";

const POLL_MS = 1000;

/** A job's progress bar, counts and result. Stateless: JobProgress keeps it current. */
export function JobBar({ job, link = false, live = false }: { job: JobView; link?: boolean; live?: boolean }) {
  const t = useT();
  const id = useId();
  const known = job.total !== null && job.total > 0;
  const pct = known ? Math.min(100, Math.round((job.done / job.total!) * 100)) : job.finished ? 100 : 0;
  const counts = known
    ? t("jobs.progress", { done: job.done.toLocaleString("en-US"), total: job.total!.toLocaleString("en-US") })
    : t("jobs.progressUnknown", { done: job.done.toLocaleString("en-US") });
  const bar = job.status === "FAILED" ? "fill-red-600" : job.failed > 0 ? "fill-amber-500" : "fill-brand-600";
  return (
    <div className="flex flex-col gap-1 text-sm" data-testid="job-progress" data-status={job.status}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <span id={`${id}-label`} className="font-medium text-slate-800">{job.kindLabel}</span>
        {/* Announced when it changes (queued, running, done); the counts are not, every second would be noise. */}
        <span className="text-slate-600" data-testid="job-status" aria-live={live ? "polite" : undefined}>{job.statusLabel}</span>
      </div>
      <div
        role="progressbar"
        aria-labelledby={`${id}-label`}
        aria-valuemin={0}
        aria-valuemax={known ? job.total! : 100}
        // Unknown total while running: an indeterminate bar has no value.
        aria-valuenow={known ? job.done : job.finished ? 100 : undefined}
        aria-valuetext={`${job.statusLabel}: ${counts}`}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <BarFill percent={pct} className={bar} />
      </div>
      <p className="text-xs text-slate-600" data-testid="job-counts">
        {counts}
        {job.failed > 0 && <> · <span className="text-amber-800">{t("jobs.failedCount", { count: job.failed.toLocaleString("en-US") })}</span></>}
      </p>
      <div aria-live={live ? "polite" : undefined}>
        {job.summary && <p className="text-xs text-slate-700" data-testid="job-summary">{job.summary}</p>}
        {job.error && <p className="text-xs text-red-800" data-testid="job-error">{job.error}</p>}
      </div>
      {link && <Link href="/admin/jobs" className="text-xs text-brand-700 underline">{t("jobs.all")}</Link>}
    </div>
  );
}

/** Follows a job the admin just started (or one listed as running) until it has finished. */
export function JobProgress({ jobId, initial, link = true }: { jobId: string; initial?: JobView; link?: boolean }) {
  const t = useT();
  const [job, setJob] = useState<JobView | null>(initial ?? null);
  const [lost, setLost] = useState(false);
  const finished = job?.finished ?? false;
  usePoll(async () => {
    try {
      const res = await fetch(`/api/admin/jobs/${jobId}`, { cache: "no-store" });
      if (!res.ok) throw new Error(String(res.status));
      const next = (await res.json()) as JobView;
      setJob(next);
      setLost(false);
      return !next.finished;
    } catch {
      setLost(true);
    }
  }, POLL_MS, !finished, true);
  return (
    <div className="w-full basis-full rounded-lg bg-white p-3 ring-1 ring-slate-200">
      {job ? <JobBar job={job} link={link} live={!initial?.finished} /> : <p className="text-sm text-slate-600">{t("jobs.loading")}</p>}
      {lost && <p className="mt-1 text-xs text-amber-800">{t("jobs.unreachable")}</p>}
    </div>
  );
}
