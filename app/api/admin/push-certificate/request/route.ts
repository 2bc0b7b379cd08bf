import { adminDownload } from "@/lib/auth/api";
import { vendorSignedRequest } from "@/lib/push-certificates/service";

export const dynamic = "force-dynamic";

/** The vendor-signed request (base64 plist) that Apple's Push Certificates Portal accepts. */
export function GET() {
  return adminDownload("pushCert.download", { type: "pushCertificate", label: "signed request" }, vendorSignedRequest, {
    name: "mamori-push-request.plist.b64", contentType: "text/plain; charset=utf-8", missing: "noRequestOrVendor",
  });
}
