import { adminOrRefusal } from "@/lib/auth/api";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";
import { adePublicKeyPem } from "@/lib/ade/service";

export const dynamic = "force-dynamic";

/** Mamori's ADE public key certificate, for Apple Business Manager. */
export async function GET() {
  const user = await adminOrRefusal("adeToken.download");
  if (user instanceof Response) return user;
  const pem = await adePublicKeyPem();
  if (!pem) return Response.json({ error: "noKey" }, { status: 404 });
  await audit({ actor: { id: user.id, label: user.email }, action: "adeToken.download", target: { type: "adeToken", label: "public key" }, ...(await requestContext()) });
  return new Response(pem, {
    headers: { "content-type": "application/x-pem-file", "content-disposition": 'attachment; filename="mamori-ade-public-key.pem"', "cache-control": "no-store" },
  });
}
