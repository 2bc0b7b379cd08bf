import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { isUuid } from "@/lib/ids";
import type { Device, User, UserCertificate } from "@/lib/db/generated/client";

// The one ownership check of the self-service portal: an end user reaches only the devices and
// certificates they own. Someone else's id and a made-up one look the same (null), and when an
// attempt is given the refusal is audited like every other one (DENIED, reason notOwner).

type Owner = Pick<User, "id" | "email">;
/** What was tried, for the audit row; without it nothing is written (a caller that already audited). */
export type Attempt = { action: string; ip: string | null; userAgent: string | null };

async function refused(user: Owner, type: string, id: string, attempt?: Attempt): Promise<null> {
  if (attempt) {
    const { action, ...ctx } = attempt;
    await audit({ actor: { id: user.id, label: user.email }, action, result: "DENIED", target: { type, id: isUuid(id) ? id : null, label: id.slice(0, 64) }, details: { reason: "notOwner" }, ...ctx });
  }
  return null;
}

export async function ownDevice(user: Owner, id: string, attempt?: Attempt): Promise<Device | null> {
  const row = isUuid(id) ? await prisma().device.findFirst({ where: { id, ownerId: user.id } }) : null;
  return row ?? refused(user, "device", id, attempt);
}

export async function ownCertificate(user: Owner, id: string, attempt?: Attempt): Promise<UserCertificate | null> {
  const row = isUuid(id) ? await prisma().userCertificate.findFirst({ where: { id, userId: user.id } }) : null;
  return row ?? refused(user, "userCertificate", id, attempt);
}
