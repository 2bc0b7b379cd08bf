import { notFound } from "next/navigation";
import { requireEndUser } from "@/lib/auth/session";
import { getCertificate } from "@/lib/user-certificates/service";

// Outside the loading boundary, so someone else's certificate (or a made-up id) answers 404
// before any streaming starts.
export default async function CertificateLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireEndUser(`/my/certificates/${id}`);
  if (!(await getCertificate(user.id, id))) notFound();
  return children;
}
