import { audit } from "@/lib/audit";
import { route, RouteError } from "@/lib/auth/guard";
import { ownCertificate } from "@/lib/auth/owner";
import { download } from "@/lib/http/download";

export const dynamic = "force-dynamic";

// The owner's certificate (public part only) as PEM. Someone else's id is 404, like a made-up one.
export const GET = route.endUser("usercert.download", async (_req, { user, params, ip, userAgent }) => {
  const found = await ownCertificate(user, params.id ?? "", { action: "usercert.download", ip, userAgent });
  if (!found) throw new RouteError(404, "usercert.notFound");
  await audit({ actor: { id: user.id, label: user.email }, action: "usercert.download", target: { type: "userCertificate", id: found.id, label: found.name }, ip, userAgent });
  const file = found.name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60) || "certificate";
  return download(found.certPem, `${file}.pem`, "application/x-pem-file");
});
