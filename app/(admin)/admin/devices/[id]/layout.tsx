import { notFound } from "next/navigation";
import { z } from "zod";
import { view } from "@/lib/auth/guard";
import { deviceExists } from "@/lib/devices/detail";

/**
 * Outside the page's loading boundary, so an unknown device gets a real 404 (and an end user a
 * 403) before anything streams; the page itself then loads behind loading.tsx.
 */
export default async function DeviceLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  await view.admin(`/admin/devices/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success || !(await deviceExists(id))) notFound();
  return children;
}
