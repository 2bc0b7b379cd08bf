import { audit } from "@/lib/audit";
import { route, RouteError } from "@/lib/auth/guard";
import { adePublicKeyPem } from "@/lib/ade/service";
import { download } from "@/lib/http/download";

export const dynamic = "force-dynamic";

/** Mamori's ADE public key certificate, for Apple Business Manager. */
export const GET = route.admin("adeToken.download", async (_req, { user, ip, userAgent }) => {
  const pem = await adePublicKeyPem();
  if (!pem) throw new RouteError(404, "adeToken.noKey");
  await audit({ actor: { id: user.id, label: user.email }, action: "adeToken.download", target: { type: "adeToken", label: "public key" }, ip, userAgent });
  return download(pem, "mamori-ade-public-key.pem", "application/x-pem-file");
});
