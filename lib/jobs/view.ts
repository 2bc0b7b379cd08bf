import type { T } from "@/lib/i18n";
import type { Job } from "@/lib/db/generated/client";

// A job as the admin reads it, in the admin's language: the jobs page renders it and
// GET /api/admin/jobs/<id> returns it to the progress component.

export interface JobView {
  id: string;
  kind: string;
  kindLabel: string;
  status: Job["status"];
  statusLabel: string;
  total: number | null;
  done: number;
  failed: number;
  /** The outcome's counts as one line, once finished. */
  summary: string | null;
  error: string | null;
  actorLabel: string;
  createdAt: string;
  finishedAt: string | null;
  finished: boolean;
}

export function jobView(job: Job, t: T): JobView {
  const outcome = (job.outcome && typeof job.outcome === "object" && !Array.isArray(job.outcome) ? job.outcome : {}) as Record<string, unknown>;
  const parts: string[] = [];
  let counted = false;
  for (const [key, value] of Object.entries(outcome)) {
    // Counts that are zero say nothing; a run where every count is zero says so once.
    if (typeof value === "number") {
      counted = true;
      if (value !== 0) parts.push(t(`jobs.outcome.${key}`, { count: value.toLocaleString("en-US") }));
    } else if (key === "stoppedBy" && typeof value === "string") parts.push(t(`jobs.stoppedBy.${value}`));
  }
  if (counted && parts.length === 0) parts.push(t("jobs.nothingChanged"));
  const params = (outcome.params ?? {}) as Record<string, string | number>;
  return {
    id: job.id,
    kind: job.kind,
    kindLabel: t(`jobs.kinds.${job.kind}`),
    status: job.status,
    statusLabel: t(`jobs.status.${job.status}`),
    total: job.total,
    done: job.done,
    failed: job.failed,
    summary: job.status === "DONE" ? parts.join(t("jobs.separator")) || null : null,
    error: job.error ? t(job.error, params) : null,
    actorLabel: job.actorLabel,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
    finished: job.status === "DONE" || job.status === "FAILED",
  };
}
