import { prisma } from "@/lib/db/client";
import { activeIdentity, markUnusable, type PushIdentityRecord } from "@/lib/push-certificates/service";
import { getApnsClient } from "./provider";
import type { PushResult } from "./client";

// Pushing devices so they check in: the database side of APNs. Every push records its time
// and outcome on the device; Apple's verdicts update the token or the certificate.

export type PushSkip = "noCertificate" | "noToken" | "tokenInvalid" | "topicMismatch" | "notFound";
export type DevicePushResult = { deviceId: string } & ({ outcome: PushResult["outcome"]; reason?: string } | { skipped: PushSkip });

type Target = { id: string; topic: string | null; pushToken: string | null; pushMagic: string | null; tokenInvalidAt: Date | null };

async function pushOne(identity: PushIdentityRecord, d: Target): Promise<DevicePushResult> {
  if (!d.pushToken || !d.pushMagic) return { deviceId: d.id, skipped: "noToken" };
  if (d.tokenInvalidAt) return { deviceId: d.id, skipped: "tokenInvalid" };
  // A device enrolled under another topic cannot be woken with this certificate.
  if (d.topic !== identity.topic) return { deviceId: d.id, skipped: "topicMismatch" };
  const r = await getApnsClient(identity).push(d.pushToken, { pushMagic: d.pushMagic, topic: identity.topic });
  const invalid = r.outcome === "invalidToken" || r.outcome === "unregistered";
  // updateMany: the device may have been deleted while the push was on its way.
  await prisma().device.updateMany({
    where: { id: d.id },
    data: { lastPushAt: new Date(), lastPushResult: r.reason ? `${r.outcome}:${r.reason}` : r.outcome, ...(invalid && { tokenInvalidAt: new Date() }) },
  });
  if (r.outcome === "badCertificate") await markUnusable(identity.id, r.reason ?? "BadCertificate");
  return { deviceId: d.id, outcome: r.outcome, reason: r.reason };
}

const SELECT = { id: true, topic: true, pushToken: true, pushMagic: true, tokenInvalidAt: true } as const;

/** Wakes one device. */
export async function pushDevice(deviceId: string): Promise<DevicePushResult> {
  const identity = await activeIdentity();
  if (!identity) return { deviceId, skipped: "noCertificate" };
  const d = await prisma().device.findUnique({ where: { id: deviceId }, select: SELECT });
  if (!d) return { deviceId, skipped: "notFound" };
  return pushOne(identity, d);
}

/**
 * Wakes many devices, 16 at a time. A simple loop over pushDevice; an HTTP/2 fan-out with the
 * same signature replaces it.
 */
export async function pushDevices(deviceIds: string[]): Promise<{ delivered: number; failed: number; skipped: number }> {
  const counts = { delivered: 0, failed: 0, skipped: 0 };
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(16, deviceIds.length) }, async () => {
    while (next < deviceIds.length) {
      const r = await pushDevice(deviceIds[next++]!);
      if ("skipped" in r) counts.skipped++;
      else if (r.outcome === "delivered") counts.delivered++;
      else counts.failed++;
    }
  }));
  return counts;
}

/** Devices enrolled under the active certificate's topic that can be woken, e.g. all of them after a renewal. */
export async function pushableDeviceIds(): Promise<string[]> {
  const identity = await activeIdentity();
  if (!identity) return [];
  const rows = await prisma().device.findMany({
    where: { topic: identity.topic, pushToken: { not: null }, tokenInvalidAt: null, status: { in: ["ENROLLING", "ACTIVE", "INACTIVE"] } },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  return rows.map((d) => d.id);
}

/** Devices whose topic differs from the active certificate's: they must enroll again. */
export async function countTopicMismatches(topic: string): Promise<number> {
  return prisma().device.count({ where: { topic: { not: topic }, status: { notIn: ["RETIRED", "WIPED"] } } });
}
