import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { recentJobs } from "@/lib/jobs/progress";
import { jobView } from "@/lib/jobs/view";
import { JobProgress } from "@/components/job-progress";
import { Card, PageHeader } from "@/components/page-header";

export const dynamic = "force-dynamic";

/** Recent long operations (bulk actions, pushes, invitations, syncs) with their progress and outcome. */
export default async function JobsPage() {
  await view.admin("/admin/jobs");
  const [t, fmt] = [await getT(), await getFormatter()];
  const jobs = await recentJobs(50);
  return (
    <>
      <PageHeader title={t("jobs.title")} intro={t("jobs.intro")} />
      <Card>
        {jobs.length === 0 ? (
          <p className="text-sm text-slate-600" data-testid="jobs-empty">{t("jobs.none")}</p>
        ) : (
          <ul className="flex flex-col gap-3" data-testid="jobs-list">
            {jobs.map((job) => (
              <li key={job.id} className="flex flex-col gap-1">
                <p className="text-xs text-slate-600">
                  {t("jobs.startedBy", { actor: job.actorLabel, at: fmt(job.createdAt) })}
                  {job.finishedAt && <> · {t("jobs.finishedAt", { at: fmt(job.finishedAt) })}</>}
                </p>
                {/* Running ones keep polling; finished ones are drawn once. */}
                <JobProgress jobId={job.id} initial={jobView(job, t)} link={false} />
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
