import { X509Certificate } from "node:crypto";
import { audit } from "@/lib/audit";
import { handlePkiOperation, type ScepDecision, type ScepRequest, type ScepResponse } from "@/lib/pki/scep";
import { deviceCa } from "@/lib/pki/device-ca";
import { consumeChallenge } from "./service";

/** Validity of device identity certificates (MAMORI_DEVICE_CERT_DAYS, default 2 years). */
export function deviceCertDays(): number {
  const n = Number(process.env.MAMORI_DEVICE_CERT_DAYS);
  return Number.isInteger(n) && n > 0 && n <= 3650 ? n : 730;
}

/**
 * Issues a device identity only for a live, unused challenge, and only with the subject the
 * enrollment profile asked for (CN = the enrollment id), so a certificate names the enrollment
 * it was issued for and Authenticate can bind the device to it.
 */
async function decide(req: ScepRequest): Promise<ScepDecision> {
  if (req.messageType === "RenewalReq") {
    // Signed with the current identity (already checked to be ours and valid): same enrollment only.
    const current = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(req.signerCertPem).subject)?.[1];
    return current && current === req.commonName ? { issue: { days: deviceCertDays() } } : { fail: "badRequest" };
  }
  if (!req.challenge) return { fail: "badRequest" };
  // The subject is checked in the same statement that spends the challenge: a wrong one spends nothing.
  const enrollmentId = await consumeChallenge(req.challenge, req.commonName?.toLowerCase() ?? "");
  return enrollmentId ? { issue: { days: deviceCertDays() } } : { fail: "badRequest" };
}

export async function scepPkiOperation(message: Buffer, ctx: { ip: string | null }): Promise<ScepResponse> {
  const r = await handlePkiOperation(message, await deviceCa(), decide);
  await audit({
    actor: { id: null, label: "device" },
    action: r.status === "SUCCESS" ? "scep.issue" : "scep.refuse",
    result: r.status === "SUCCESS" ? "SUCCESS" : "DENIED",
    target: { type: "enrollment" },
    ip: ctx.ip,
    details: r.failInfo ? { failInfo: r.failInfo } : undefined,
  });
  return r;
}
