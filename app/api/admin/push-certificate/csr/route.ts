import { audit } from "@/lib/audit";
import { route, RouteError } from "@/lib/auth/guard";
import { download } from "@/lib/http/download";
import { pendingCsr } from "@/lib/push-certificates/service";

export const dynamic = "force-dynamic";

/** The plain CSR (PEM) of the pending request. */
export const GET = route.admin("pushCert.download", async (_req, { user, ip, userAgent }) => {
  const csr = await pendingCsr();
  if (!csr) throw new RouteError(404, "pushCert.noPendingRequest");
  await audit({ actor: { id: user.id, label: user.email }, action: "pushCert.download", target: { type: "pushCertificate", label: "CSR" }, ip, userAgent });
  return download(csr, "mamori-push.csr.pem", "application/pkcs10");
});
