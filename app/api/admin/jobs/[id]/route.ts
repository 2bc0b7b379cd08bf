import { adminOrRefusal } from "@/lib/auth/api";
import { getJob } from "@/lib/jobs/progress";
import { jobView } from "@/lib/jobs/view";
import { getT } from "@/lib/i18n/server";
import { isUuid } from "@/lib/ids";

export const dynamic = "force-dynamic";

/** One job's progress, for the progress component (it polls this while the job runs). */
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const user = await adminOrRefusal("job.read");
  if (user instanceof Response) return user;
  const { id } = await params;
  const job = isUuid(id) ? await getJob(id) : null;
  if (!job) return Response.json({ error: "notFound" }, { status: 404 });
  return Response.json(jobView(job, await getT()), { headers: { "cache-control": "no-store" } });
}
