import { adminDownload } from "@/lib/auth/api";
import { pendingCsr } from "@/lib/push-certificates/service";

export const dynamic = "force-dynamic";

/** The plain CSR (PEM) of the pending request. */
export function GET() {
  return adminDownload("pushCert.download", { type: "pushCertificate", label: "CSR" }, pendingCsr, {
    name: "mamori-push.csr.pem", contentType: "application/pkcs10", missing: "noPendingRequest",
  });
}
