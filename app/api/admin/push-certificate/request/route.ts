import { adminOrRefusal } from "@/lib/auth/api";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";
import { vendorSignedRequest } from "@/lib/push-certificates/service";

export const dynamic = "force-dynamic";

/** The vendor-signed request (base64 plist) that Apple's Push Certificates Portal accepts. */
export async function GET() {
  const user = await adminOrRefusal("pushCert.download");
  if (user instanceof Response) return user;
  const body = await vendorSignedRequest();
  if (!body) return Response.json({ error: "noRequestOrVendor" }, { status: 404 });
  await audit({ actor: { id: user.id, label: user.email }, action: "pushCert.download", target: { type: "pushCertificate", label: "signed request" }, ...(await requestContext()) });
  return new Response(body, {
    headers: { "content-type": "text/plain; charset=utf-8", "content-disposition": 'attachment; filename="mamori-push-request.plist.b64"', "cache-control": "no-store" },
  });
}
