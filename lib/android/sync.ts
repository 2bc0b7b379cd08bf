import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { isUserError } from "@/lib/errors";
import type { DeviceStatus } from "@/lib/db/generated/client";
import { getDevice, listDevices, toDevice, type AmapiDevice } from "./client";
import { accessToken, configOrThrow } from "./service";
import { isUuid } from "@/lib/ids";

// Android devices live in Google's Android Management API; this job mirrors them into the
// Device table (platform ANDROID) so the admin list and the owner's /my show them. Runs as the
// android-sync job, one at a time across instances; every step is an upsert keyed by the AMAPI
// name, so a second run changes nothing.

const SYSTEM = { id: null, label: "android-sync" };

export interface SyncResult {
  created: number;
  updated: number;
  retired: number;
  skipped: number;
  /** Not listed for the first time: retired if the next sync does not list them either. */
  missing: number;
}

/** AMAPI device state → Mamori status. DELETED devices are not listed at all; see `retire`. */
function statusOf(d: AmapiDevice): DeviceStatus {
  switch (d.state) {
    case "ACTIVE":
    case "LOST":
      return "ACTIVE";
    case "PROVISIONING":
    case "PREPARING_FOR_MIGRATION":
      return "ENROLLING";
    case "DISABLED":
      return "INACTIVE";
    case "DELETED":
      return "RETIRED";
    default:
      return "ACTIVE";
  }
}

/** The Mamori user id the enrollment token carried (see createEnrollmentToken's additionalData). */
export function ownerIdFromTokenData(data: string | null): string | null {
  if (!data) return null;
  try {
    const id = (JSON.parse(data) as { mamoriUserId?: unknown }).mamoriUserId;
    return typeof id === "string" && isUuid(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * Lists every AMAPI device and upserts it. A device no longer listed is retired only when two
 * syncs in a row miss it: one odd answer (an empty listing from a glitch, a wrong enterprise)
 * must not retire the fleet. A malformed answer aborts the job before anything changes.
 */
export async function syncAndroidDevices(now = new Date()): Promise<SyncResult | null> {
  const row = await prisma().androidEnterprise.findUnique({ where: { id: 1 } });
  if (!row) return null;
  let devices: AmapiDevice[];
  try {
    devices = await listDevices(await accessToken(row, now), row.enterpriseName);
  } catch (e) {
    // Code and params, so the admin page can say Google's reason in the admin's language.
    const failure = isUserError(e) ? { code: e.code, params: e.params } : { code: "unexpected", params: {} };
    await prisma().androidEnterprise.update({ where: { id: 1 }, data: { lastSyncAt: now, lastSyncResult: `error:${JSON.stringify(failure)}` } });
    throw e;
  }
  // Oldest enrollment first: when a phone re-enrolls, its newer record wins the serial number.
  devices.sort((a, b) => (a.enrollmentTime?.getTime() ?? 0) - (b.enrollmentTime?.getTime() ?? 0));
  const result: SyncResult = { created: 0, updated: 0, retired: 0, skipped: 0, missing: 0 };
  const users = new Set(
    (await prisma().user.findMany({ where: { id: { in: devices.map((d) => ownerIdFromTokenData(d.enrollmentTokenData)).filter((x): x is string => x !== null) } }, select: { id: true } })).map((u) => u.id),
  );
  for (const d of devices) {
    const outcome = await upsert(d, users, now);
    result[outcome]++;
  }
  Object.assign(result, await retire(row.enterpriseName, new Set(devices.map((d) => d.name)), now));
  await prisma().androidEnterprise.update({ where: { id: 1 }, data: { lastSyncAt: now, lastSyncResult: `ok:${devices.length}` } });
  return result;
}

/** devices.get for one device and the same upsert as the sync ("refresh" on an Android device). */
export async function refreshAndroidDevice(amapiName: string, now = new Date()): Promise<"created" | "updated" | "skipped"> {
  const row = await configOrThrow();
  const d = await getDevice(await accessToken(row, now), amapiName);
  const owner = ownerIdFromTokenData(d.enrollmentTokenData);
  const users = new Set(owner && (await prisma().user.count({ where: { id: owner } })) ? [owner] : []);
  return upsert(d, users, now);
}

export type NotifiedOutcome = "created" | "updated" | "skipped" | "stale" | "otherEnterprise" | "notConfigured" | "malformed";

const DEVICE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * One Device resource from a Pub/Sub notification (ENROLLMENT, STATUS_REPORT): upserted at once,
 * as the sync would. A report older than the stored one (lastStatusReportTime) changes nothing:
 * Pub/Sub does not keep order and redelivers. Another enterprise's device is not ours.
 */
export async function upsertNotifiedDevice(raw: unknown, now = new Date()): Promise<NotifiedOutcome> {
  const row = await prisma().androidEnterprise.findUnique({ where: { id: 1 }, select: { enterpriseName: true } });
  if (!row) return "notConfigured";
  const d = raw && typeof raw === "object" && !Array.isArray(raw) ? toDevice(raw as Record<string, unknown>) : null;
  if (!d) return "malformed";
  const prefix = `${row.enterpriseName}/devices/`;
  if (!d.name.startsWith(prefix)) return "otherEnterprise";
  if (!DEVICE_ID.test(d.name.slice(prefix.length))) return "malformed";
  const stored = await prisma().device.findUnique({ where: { amapiName: d.name }, select: { lastCheckInAt: true } });
  if (stored?.lastCheckInAt && (!d.lastStatusReportTime || d.lastStatusReportTime < stored.lastCheckInAt)) return "stale";
  const ownerId = ownerIdFromTokenData(d.enrollmentTokenData);
  const users = new Set(ownerId ? (await prisma().user.findMany({ where: { id: ownerId }, select: { id: true } })).map((u) => u.id) : []);
  return upsert(d, users, now);
}

async function upsert(d: AmapiDevice, users: Set<string>, now: Date): Promise<"created" | "updated" | "skipped"> {
  const ownerId = ownerIdFromTokenData(d.enrollmentTokenData);
  const data = {
    platform: "ANDROID" as const,
    serialNumber: d.serialNumber,
    model: d.model,
    modelName: [d.brand, d.model].filter(Boolean).join(" ") || null,
    osVersion: d.androidVersion,
    status: statusOf(d),
    lastCheckInAt: d.lastStatusReportTime,
    amapiMissingAt: null,
    androidManagementMode: d.managementMode,
    androidOwnership: d.ownership,
    // AMAPI's LOST state is lost mode (START_LOST_MODE until STOP_LOST_MODE).
    lostMode: d.state === "LOST",
    ...(ownerId && users.has(ownerId) && { ownerId }),
  };
  const byName = await prisma().device.findUnique({ where: { amapiName: d.name }, select: { id: true } });
  if (byName) {
    await prisma().device.update({ where: { id: byName.id }, data });
    return "updated";
  }
  // Re-enrollment: a phone set up again gets a new AMAPI name; the same serial number means
  // the same phone, so its record (and history) is taken over, unless that record is newer.
  const bySerial = d.serialNumber
    ? await prisma().device.findFirst({ where: { serialNumber: d.serialNumber, platform: "ANDROID" }, orderBy: { updatedAt: "desc" }, select: { id: true, amapiName: true, ownerId: true, enrolledAt: true } })
    : null;
  if (bySerial) {
    if (bySerial.enrolledAt && d.enrollmentTime && bySerial.enrolledAt > d.enrollmentTime) return "skipped";
    await prisma().device.update({ where: { id: bySerial.id }, data: { ...data, amapiName: d.name, enrolledAt: d.enrollmentTime ?? now } });
    await audit({
      actor: SYSTEM,
      action: "device.reenroll",
      target: { type: "device", id: bySerial.id, label: d.serialNumber },
      details: { platform: "android", matchedBy: "serialNumber", previousAmapiName: bySerial.amapiName, amapiName: d.name, previousOwnerId: bySerial.ownerId, ownerId: data.ownerId ?? null },
    });
    return "updated";
  }
  const created = await prisma().device.create({ data: { ...data, amapiName: d.name, enrolledAt: d.enrollmentTime ?? now } });
  await audit({ actor: SYSTEM, action: "device.enroll", target: { type: "device", id: created.id, label: d.serialNumber ?? d.name }, details: { platform: "android", amapiName: d.name, ownerId: created.ownerId } });
  return "created";
}

/**
 * Devices of this enterprise that AMAPI no longer lists were deleted there: the first sync that
 * misses one marks it, the next one that misses it again retires it.
 */
async function retire(enterpriseName: string, listed: Set<string>, now: Date): Promise<{ retired: number; missing: number }> {
  const known = await prisma().device.findMany({
    where: { platform: "ANDROID", amapiName: { startsWith: `${enterpriseName}/devices/` }, status: { not: "RETIRED" } },
    select: { id: true, amapiName: true, serialNumber: true, amapiMissingAt: true },
  });
  const out = { retired: 0, missing: 0 };
  for (const d of known) {
    if (listed.has(d.amapiName!)) continue;
    if (!d.amapiMissingAt) {
      out.missing += (await prisma().device.updateMany({ where: { id: d.id, amapiMissingAt: null }, data: { amapiMissingAt: now } })).count;
      continue;
    }
    const { count } = await prisma().device.updateMany({ where: { id: d.id, status: { not: "RETIRED" } }, data: { status: "RETIRED" } });
    if (count) {
      out.retired++;
      await audit({ actor: SYSTEM, action: "device.retire", target: { type: "device", id: d.id, label: d.serialNumber ?? d.amapiName }, details: { platform: "android", reason: "deleted in Android Management API", missingSince: d.amapiMissingAt.toISOString() } });
    }
  }
  return out;
}
