import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { audit } from "@/lib/audit";
import { prisma } from "@/lib/db/client";
import { UserError } from "@/lib/errors";
import { buildEnrollmentProfile } from "@/lib/mdm/profile";
import { signData } from "@/lib/pki/cms";
import { certificatesFromInput } from "@/lib/pki/x509";
import { deviceCa } from "@/lib/pki/device-ca";
import { activeIdentity } from "@/lib/push-certificates/service";
import { profileSigner } from "@/lib/pki/profile-signer";
import { redeemProfileToken } from "./service";

/**
 * The signed .mobileconfig for one enrollment link: SCEP payload (single-use challenge, CN =
 * the enrollment id), MDM payload (topic of the active push certificate, Mdm-Signature on),
 * and the root of the server's TLS certificate when it is private (MAMORI_TLS_ROOT_CA_FILE);
 * signed as lib/pki/profile-signer.ts decides.
 */
export async function enrollmentProfile(token: string, baseUrl: string, ctx: { ip: string | null; userAgent: string | null }): Promise<Buffer> {
  // Checked before the link is spent: a missing certificate must not burn the user's link.
  const push = await activeIdentity();
  if (!push) throw new UserError("enrollment.noPushCertificate");
  const ca = await deviceCa();
  const { signer } = await profileSigner();
  const rootFile = process.env.MAMORI_TLS_ROOT_CA_FILE;
  // One transaction: if the profile cannot be built, the link is not spent.
  return prisma().$transaction(async (tx) => {
    const { enrollment, challenge } = await redeemProfileToken(token, new Date(), tx);
    const { xml } = buildEnrollmentProfile({
      identifier: enrollment.profileIdentifier,
      displayName: "Mamori",
      organization: process.env.MAMORI_ORGANIZATION || "Mamori",
      description: "Device management by Mamori",
      scep: {
        url: `${baseUrl}/api/scep`,
        challenge,
        subject: [["CN", enrollment.id], ["O", "Mamori"]],
        keysize: 2048,
        caFingerprint: createHash("sha1").update(certificatesFromInput(ca.certPem)[0]!).digest(),
      },
      mdm: {
        serverUrl: `${baseUrl}/api/mdm/connect`,
        checkInUrl: `${baseUrl}/api/mdm/checkin`,
        topic: push.topic,
        allowHttp: process.env.MAMORI_ALLOW_HTTP_MDM === "1",
      },
      rootCaPems: rootFile ? [readFileSync(rootFile, "utf8")] : [],
    });
    await audit({ actor: { id: null, label: "device" }, action: "enrollment.profile", target: { type: "enrollment", id: enrollment.id }, ...ctx }, tx);
    // Signed with the public hostname's certificate when configured (iOS: "Verified"), else the device CA.
    return signData(Buffer.from(xml, "utf8"), signer, { certificates: signer.chain });
  });
}

/** The HTTP answer Safari installs from: a signed .mobileconfig as a download. */
export function profileResponse(body: Buffer): Response {
  return new Response(new Uint8Array(body), {
    headers: { "content-type": "application/x-apple-aspen-config", "content-disposition": 'attachment; filename="Mamori.mobileconfig"', "cache-control": "no-store" },
  });
}
