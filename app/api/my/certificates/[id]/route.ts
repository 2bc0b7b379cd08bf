import { currentUser } from "@/lib/auth/session";
import { audit } from "@/lib/audit";
import { requestContext } from "@/lib/request";
import { certificatePem } from "@/lib/user-certificates/service";

// The owner's certificate (public part only) as PEM. Someone else's id is 404, like a made-up one.
export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const user = await currentUser();
  if (!user) return Response.json({ error: "signedOut" }, { status: 401 });
  const { id } = await params;
  const ctx = await requestContext();
  const found = user.role === "END_USER" ? await certificatePem(user.id, id) : null;
  const actor = { id: user.id, label: user.email };
  if (!found) {
    await audit({ actor, action: "usercert.download", result: "DENIED", target: { type: "userCertificate", id: id.slice(0, 100) }, details: { reason: "notFound" }, ...ctx });
    return Response.json({ error: "notFound" }, { status: 404 });
  }
  await audit({ actor, action: "usercert.download", target: { type: "userCertificate", id, label: found.name }, ...ctx });
  const file = found.name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60) || "certificate";
  return new Response(found.pem, {
    headers: { "content-type": "application/x-pem-file", "content-disposition": `attachment; filename="${file}.pem"`, "cache-control": "no-store" },
  });
}
