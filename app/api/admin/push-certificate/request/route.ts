import { audit } from "@/lib/audit";
import { route, RouteError } from "@/lib/auth/guard";
import { download } from "@/lib/http/download";
import { vendorSignedRequest } from "@/lib/push-certificates/service";

export const dynamic = "force-dynamic";

/** The vendor-signed request (base64 plist) that Apple's Push Certificates Portal accepts. */
export const GET = route.admin("pushCert.download", async (_req, { user, ip, userAgent }) => {
  const body = await vendorSignedRequest();
  if (!body) throw new RouteError(404, "pushCert.noRequestOrVendor");
  await audit({ actor: { id: user.id, label: user.email }, action: "pushCert.download", target: { type: "pushCertificate", label: "signed request" }, ip, userAgent });
  return download(body, "mamori-push-request.plist.b64", "text/plain; charset=utf-8");
});
