import { adminDownload } from "@/lib/auth/api";
import { adePublicKeyPem } from "@/lib/ade/service";

export const dynamic = "force-dynamic";

/** Mamori's ADE public key certificate, for Apple Business Manager. */
export function GET() {
  return adminDownload("adeToken.download", { type: "adeToken", label: "public key" }, adePublicKeyPem, {
    name: "mamori-ade-public-key.pem", contentType: "application/x-pem-file", missing: "noKey",
  });
}
