import { prisma } from "@/lib/db/client";
import { readGoTicket } from "./tickets";

// What /go shows once the profile is downloaded: the device counts as managed when it has
// checked in (Authenticate and TokenUpdate answered: the row is ACTIVE) for the ticket's user,
// through an enrollment made after this /go visit began.

export interface ManagedDevice {
  id: string;
  name: string | null;
  model: string | null;
  platform: string;
}

const shape = (d: { id: string; name: string | null; modelName: string | null; model: string | null; platform: string }): ManagedDevice => ({
  id: d.id,
  name: d.name,
  model: d.modelName ?? d.model,
  platform: d.platform,
});
const SELECT = { id: true, name: true, modelName: true, model: true, platform: true } as const;

/** The user's devices already under management (e.g. IT enrolled them first). */
export async function managedDevices(userId: string): Promise<ManagedDevice[]> {
  const rows = await prisma().device.findMany({ where: { ownerId: userId, status: "ACTIVE" }, select: SELECT, orderBy: { enrolledAt: "desc" }, take: 10 });
  return rows.map(shape);
}

/** null: no valid /go ticket. Otherwise whether a device enrolled in this visit has checked in. */
export async function goEnrollmentStatus(secret: string | undefined | null, now = new Date()): Promise<{ managed: ManagedDevice | null } | null> {
  const ticket = await readGoTicket(secret, now);
  if (!ticket) return null;
  const d = await prisma().device.findFirst({
    where: { ownerId: ticket.userId, status: "ACTIVE", enrollment: { userId: ticket.userId, createdAt: { gte: ticket.createdAt } } },
    select: SELECT,
    orderBy: { enrolledAt: "desc" },
  });
  return { managed: d ? shape(d) : null };
}
