import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { ownDevice } from "@/lib/auth/owner";
import { requestContext } from "@/lib/request";

/**
 * Outside the page's loading boundary, so someone else's (or a missing) device gets a real 404
 * before anything streams, and the attempt is audited here (once); the page then loads behind loading.tsx.
 */
export default async function MyDeviceLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await view.endUser(`/my/devices/${encodeURIComponent(id)}`);
  if (!(await ownDevice(user, id, { action: "portal.view", ...(await requestContext()) }))) notFound();
  return children;
}
