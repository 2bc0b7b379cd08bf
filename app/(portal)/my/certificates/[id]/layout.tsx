import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { ownCertificate } from "@/lib/auth/owner";
import { requestContext } from "@/lib/request";

// Outside the loading boundary, so someone else's certificate (or a made-up id) answers 404
// before any streaming starts; the attempt is audited here.
export default async function CertificateLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await view.endUser(`/my/certificates/${id}`);
  if (!(await ownCertificate(user, id, { action: "usercert.view", ...(await requestContext()) }))) notFound();
  return children;
}
