import { prisma } from "@/lib/db/client";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import { deviceInformation, securityInfo } from "@/lib/mdm/commands";
import { pushDevice } from "@/lib/apns/push-service";
import { markInvitationsEnrolled } from "@/lib/invitations/service";
import { pushConfigurationsForDevice } from "@/lib/configurations/service";
import { webClipForNewDevice } from "@/lib/portal/web-clip";
import type { DeviceEnrolled } from "@/lib/mdm/events";

const SYSTEM = { id: null, label: "system" };

/**
 * What follows an enrollment, run by a job after the device's TokenUpdate was answered: the
 * owner's invitation is done, the first inventory is asked for, the owner's configurations and
 * the portal's Web Clip (when switched on) are installed, a device waiting in Setup Assistant is released, and one push wakes the device.
 * Safe to run twice: a second run finds the first inventory already queued since the event.
 */
export async function afterEnroll(e: DeviceEnrolled, now = new Date()): Promise<void> {
  const device = await prisma().device.findUnique({ where: { id: e.deviceId }, select: { id: true, ownerId: true, platform: true, status: true } });
  if (!device || device.status !== "ACTIVE" || device.platform === "ANDROID") return;
  const queued = await prisma().command.count({ where: { deviceId: device.id, queuedByLabel: SYSTEM.label, requestType: "SecurityInfo", createdAt: { gte: new Date(e.at) } } });
  if (queued > 0) return;
  if (device.ownerId) await markInvitationsEnrolled(device.ownerId, now);
  for (const built of [deviceInformation(device.platform), securityInfo(device.platform)]) {
    await enqueueCommand(device.id, built as never, { actor: SYSTEM, push: false });
  }
  await pushConfigurationsForDevice(device.id);
  if (device.platform === "IOS") await webClipForNewDevice(device.id);
  if (e.awaitingConfiguration) {
    await enqueueCommand(device.id, { requestType: "DeviceConfigured", command: { RequestType: "DeviceConfigured" } }, { actor: SYSTEM, push: false });
  }
  await pushDevice(device.id);
}
