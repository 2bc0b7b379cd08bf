import { route, RouteError } from "@/lib/auth/guard";
import { getJob } from "@/lib/jobs/progress";
import { jobView } from "@/lib/jobs/view";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/** One job's progress, for the progress component (it polls this while the job runs). */
export const GET = route.admin("job.read", async (_req, { params, t }) => {
  const job = isUuid(params.id) ? await getJob(params.id) : null;
  if (!job) throw new RouteError(404, "job.notFound");
  return Response.json(jobView(job, t), { headers: { "cache-control": "no-store" } });
});
