import { adminOrRefusal } from "@/lib/auth/api";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";
import { pendingCsr } from "@/lib/push-certificates/service";

export const dynamic = "force-dynamic";

/** The plain CSR (PEM) of the pending request. */
export async function GET() {
  const user = await adminOrRefusal("pushCert.download");
  if (user instanceof Response) return user;
  const csr = await pendingCsr();
  if (!csr) return Response.json({ error: "noPendingRequest" }, { status: 404 });
  await audit({ actor: { id: user.id, label: user.email }, action: "pushCert.download", target: { type: "pushCertificate", label: "CSR" }, ...(await requestContext()) });
  return new Response(csr, {
    headers: { "content-type": "application/pkcs10", "content-disposition": 'attachment; filename="mamori-push.csr.pem"', "cache-control": "no-store" },
  });
}
