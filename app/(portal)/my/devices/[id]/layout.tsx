import { notFound } from "next/navigation";
import { requireEndUser } from "@/lib/auth/session";
import { myDevice } from "@/lib/portal/devices";

/**
 * Outside the page's loading boundary, so someone else's (or a missing) device gets a real 404
 * before anything streams; the page itself then loads behind loading.tsx.
 */
export default async function MyDeviceLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireEndUser(`/my/devices/${encodeURIComponent(id)}`);
  if (!(await myDevice(user.id, id))) notFound();
  return children;
}
