import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { open, seal } from "@/lib/crypto";
import { UserError } from "@/lib/errors";
import { Prisma, type Device } from "@/lib/db/generated/client";
import { parsePlist, buildPlist, type PlistDict } from "./plist";
import { pushConfigurationsForDevice } from "@/lib/configurations/service";
import { parseCheckin, parseConnect, type Authenticate, type TokenUpdate, type ConnectReport } from "./checkin";
import { deviceInformation, envelope, securityInfo, type CommandDict } from "./commands";
import { parseResult } from "./results";
import { commandBody, enqueueCommand, jsonSafe, nextCommand, recordAnswer } from "./queue";
import type { DeviceIdentity } from "./identity";
import { markInvitationsEnrolled } from "@/lib/invitations/service";

// The MDM service behind the check-in and connect endpoints, independent of HTTP: route
// handlers parse the request, identify the device, call these and write the answer.

export interface MdmAnswer {
  status: number;
  body?: string;
  contentType?: string;
}

const OK: MdmAnswer = { status: 200 };
const PLIST = "application/xml; charset=utf-8";
const SYSTEM = { id: null, label: "device" };
const UNLOCK = "unlock-token";
const BOOTSTRAP = "bootstrap-token";

function plistAnswer(obj: Record<string, unknown>): MdmAnswer {
  return { status: 200, body: buildPlist(obj as never), contentType: PLIST };
}

function platformOf(m: Authenticate): "IOS" | "MACOS" {
  const hint = `${m.productName ?? ""} ${m.model ?? ""}`;
  return /Mac|iMac/i.test(hint) && !/iPad|iPhone/i.test(hint) ? "MACOS" : "IOS";
}

/** The device this identity was bound to at Authenticate; anything else is refused. */
async function boundDevice(udid: string | undefined, identity: DeviceIdentity): Promise<Device> {
  if (!udid) throw new UserError("mdm.userEnrollmentUnsupported");
  const device = await prisma().device.findUnique({ where: { udid } });
  if (!device || device.identityFingerprint !== identity.fingerprint) throw new UserError("mdm.identityMismatch");
  return device;
}

export async function handleCheckin(body: Buffer, identity: DeviceIdentity, now = new Date()): Promise<MdmAnswer> {
  const msg = parseCheckin(parsePlist(body));
  switch (msg.messageType) {
    case "Authenticate":
      return authenticate(msg, identity, now);
    case "TokenUpdate":
      return tokenUpdate(msg, identity, now);
    case "CheckOut": {
      const device = await boundDevice(msg.udid, identity);
      if (msg.userId) return OK;
      await prisma().device.update({ where: { id: device.id }, data: { status: "RETIRED", pushToken: null, pushMagic: null, unlockTokenSealed: null, lastCheckInAt: now } });
      // A device removing its MDM profile checks out instead of answering RemoveProfile.
      await prisma().command.updateMany({
        where: { deviceId: device.id, requestType: "RemoveProfile", status: { in: ["QUEUED", "SENT", "NOT_NOW"] } },
        data: { status: "ACKNOWLEDGED", respondedAt: now, sealedBody: null },
      });
      await audit({ actor: SYSTEM, action: "device.checkout", target: { type: "device", id: device.id, label: device.name ?? device.udid } });
      return OK;
    }
    case "GetBootstrapToken": {
      const device = await boundDevice(msg.udid, identity);
      return plistAnswer(device.bootstrapTokenSealed ? { BootstrapToken: open(device.bootstrapTokenSealed, BOOTSTRAP) } : {});
    }
    case "SetBootstrapToken": {
      const device = await boundDevice(msg.udid, identity);
      await prisma().device.update({ where: { id: device.id }, data: { bootstrapTokenSealed: msg.bootstrapToken ? seal(msg.bootstrapToken, BOOTSTRAP) : null } });
      return OK;
    }
    default:
      throw new UserError("mdm.unsupportedMessage", { messageType: msg.messageType });
  }
}

async function authenticate(m: Authenticate, identity: DeviceIdentity, now: Date): Promise<MdmAnswer> {
  if (!m.udid) throw new UserError("mdm.userEnrollmentUnsupported");
  const enrollment = identity.enrollmentId ? await prisma().enrollment.findUnique({ where: { id: identity.enrollmentId } }) : null;
  if (!enrollment?.challengeUsedAt) throw new UserError("mdm.unknownEnrollment");
  const taken = await prisma().device.findUnique({ where: { identityFingerprint: identity.fingerprint }, select: { udid: true } });
  if (taken && taken.udid !== m.udid) throw new UserError("mdm.identityMismatch");
  const data = {
    serialNumber: m.serialNumber,
    osVersion: m.osVersion,
    buildVersion: m.buildVersion,
    productName: m.productName,
    model: m.model ?? m.productName,
    modelName: m.modelName,
    imei: m.imei,
    meid: m.meid,
    ...(m.deviceName && { name: m.deviceName }),
    topic: m.topic,
    platform: platformOf(m),
    status: "ENROLLING" as const,
    enrollmentId: enrollment.id,
    ownerId: enrollment.userId,
    identityFingerprint: identity.fingerprint,
    identityNotAfter: identity.notAfter,
    // A new enrollment starts a new push channel: the old token is dead until TokenUpdate.
    pushToken: null,
    pushMagic: null,
    tokenInvalidAt: null,
    lastCheckInAt: now,
  };
  // Re-enrollment of the same device (same UDID, else same serial number: a Mac or an erased
  // iPhone may come back with another UDID) replaces its record in place, keeping its history.
  const existing =
    (await prisma().device.findUnique({ where: { udid: m.udid }, select: { id: true, udid: true, ownerId: true } })) ??
    (m.serialNumber ? await prisma().device.findFirst({ where: { serialNumber: m.serialNumber }, orderBy: { updatedAt: "desc" }, select: { id: true, udid: true, ownerId: true } }) : null);
  const device = existing
    ? await prisma().device.update({ where: { id: existing.id }, data: { ...data, udid: m.udid } })
    : await prisma().device.create({ data: { ...data, udid: m.udid } });
  await audit({ actor: SYSTEM, action: "device.authenticate", target: { type: "device", id: device.id, label: m.serialNumber ?? m.udid }, details: { enrollmentId: enrollment.id, reenrollment: Boolean(existing) } });
  if (existing) {
    await audit({
      actor: SYSTEM,
      action: "device.reenroll",
      target: { type: "device", id: device.id, label: m.serialNumber ?? m.udid },
      details: { enrollmentId: enrollment.id, matchedBy: existing.udid === m.udid ? "udid" : "serialNumber", previousUdid: existing.udid, previousOwnerId: existing.ownerId, ownerId: enrollment.userId },
    });
  }
  return OK;
}

async function tokenUpdate(m: TokenUpdate, identity: DeviceIdentity, now: Date): Promise<MdmAnswer> {
  const device = await boundDevice(m.udid, identity);
  if (m.userId) {
    await prisma().deviceUser.upsert({
      where: { deviceId_userGuid: { deviceId: device.id, userGuid: m.userId } },
      create: { deviceId: device.id, userGuid: m.userId, shortName: m.userShortName, longName: m.userLongName, pushToken: m.token, pushMagic: m.pushMagic },
      update: { shortName: m.userShortName, longName: m.userLongName, pushToken: m.token, pushMagic: m.pushMagic },
    });
    return OK;
  }
  const first = device.status === "ENROLLING";
  await prisma().device.update({
    where: { id: device.id },
    data: {
      topic: m.topic,
      pushToken: m.token,
      pushMagic: m.pushMagic,
      tokenInvalidAt: null,
      awaitingConfiguration: m.awaitingConfiguration,
      ...(m.unlockToken && { unlockTokenSealed: seal(m.unlockToken, UNLOCK) }),
      status: "ACTIVE",
      lastCheckInAt: now,
      ...(first && { enrolledAt: device.enrolledAt ?? now }),
    },
  });
  if (first) {
    await audit({ actor: SYSTEM, action: "device.enroll", target: { type: "device", id: device.id, label: device.serialNumber ?? device.udid } });
    // The owner's invitation is done: no more reminders.
    if (device.ownerId) await markInvitationsEnrolled(device.ownerId, now);
    // First inventory right away; the push will find the device ready.
    const platform = device.platform === "MACOS" ? "MACOS" : "IOS";
    for (const built of [deviceInformation(platform), securityInfo(platform)]) {
      await enqueueCommand(device.id, built as never, { actor: { id: null, label: "system" }, push: false });
    }
    await pushConfigurationsForDevice(device.id);
    if (m.awaitingConfiguration) {
      await enqueueCommand(device.id, { requestType: "DeviceConfigured", command: { RequestType: "DeviceConfigured" } }, { actor: { id: null, label: "system" }, push: false });
    }
  }
  return OK;
}

/** The unlock token a ClearPasscode command needs, or null when the device gave none. */
export function unlockToken(device: Pick<Device, "unlockTokenSealed">): Buffer | null {
  return device.unlockTokenSealed ? open(device.unlockTokenSealed, UNLOCK) : null;
}

export async function handleConnect(body: Buffer, identity: DeviceIdentity, now = new Date()): Promise<MdmAnswer> {
  const report = parseConnect(parsePlist(body));
  let device = await boundDevice(report.udid, identity);
  device = await prisma().device.update({
    where: { id: device.id },
    data: {
      lastCheckInAt: now,
      // Idle opens a connection; results within it follow until the device gets an empty answer.
      ...(report.status === "Idle" && !report.userId && { connectionStartedAt: now }),
      ...(device.status === "INACTIVE" && { status: "ACTIVE" }),
    },
  });
  // Commands go to the device channel only; a user channel just gets "nothing to do".
  if (report.userId) return OK;
  if (report.commandUuid && report.status !== "Idle") await applyAnswer(device, report, now);
  const next = await nextCommand(device.id, device.connectionStartedAt, now);
  if (!next) return OK;
  return plistAnswer(envelope(next.id, commandBody(next) as CommandDict));
}

async function applyAnswer(device: Device, r: ConnectReport, now: Date) {
  const status = r.status === "Idle" ? "Acknowledged" : r.status;
  // The device need not echo RequestType: take it from the queued command.
  const queued = await prisma().command.findFirst({ where: { id: r.commandUuid!.toUpperCase(), deviceId: device.id }, select: { requestType: true } });
  if (!queued) return;
  const parsed = status === "Acknowledged" ? safeParse(queued.requestType, r.response) : undefined;
  const raw = Object.keys(r.response).length ? jsonSafe(r.response) : undefined;
  const cmd = await recordAnswer(device.id, r.commandUuid!, status, { result: parsed ?? raw, errorChain: r.errorChain }, now);
  if (!cmd || status !== "Acknowledged") return;
  const update = inventoryUpdate(cmd.requestType, parsed, r.response, device, now);
  if (update) await prisma().device.update({ where: { id: device.id }, data: update });
}

function safeParse(requestType: string, response: PlistDict): unknown {
  try {
    return jsonSafe(parseResult(requestType, response));
  } catch {
    return undefined;
  }
}

/** What an acknowledged command changes on the device record. */
function inventoryUpdate(requestType: string, parsed: unknown, response: PlistDict, device: Device, now: Date): Prisma.DeviceUpdateInput | null {
  const inv = (device.inventory ?? {}) as Record<string, unknown>;
  const withInventory = (key: string, value: unknown): Prisma.DeviceUpdateInput => ({
    inventory: { ...inv, [key]: jsonSafe(value) } as Prisma.InputJsonValue,
    lastInventoryAt: now,
  });
  switch (requestType) {
    case "DeviceInformation": {
      const info = parseResult("DeviceInformation", response);
      return {
        ...withInventory("deviceInformation", info),
        name: info.name ?? device.name,
        osVersion: info.osVersion ?? device.osVersion,
        buildVersion: info.buildVersion ?? device.buildVersion,
        model: info.model ?? device.model,
        modelName: info.modelName ?? device.modelName,
        productName: info.productName ?? device.productName,
        serialNumber: info.serialNumber ?? device.serialNumber,
        imei: info.imei ?? device.imei,
        meid: info.meid ?? device.meid,
        phoneNumber: info.phoneNumber ?? device.phoneNumber,
        capacityGb: info.capacityGb ?? device.capacityGb,
        availableGb: info.availableGb ?? device.availableGb,
        batteryLevel: info.batteryLevel ?? device.batteryLevel,
        supervised: info.supervised ?? device.supervised,
        ...(info.lostModeEnabled !== undefined && { lostMode: info.lostModeEnabled }),
      };
    }
    case "SecurityInfo":
      return withInventory("securityInfo", parsed);
    case "InstalledApplicationList":
      return withInventory("applications", parsed);
    case "ProfileList":
      return withInventory("profiles", parsed);
    case "CertificateList":
      return withInventory("certificates", parsed);
    case "DeviceLocation":
      return { location: { ...(jsonSafe(parsed) as object), receivedAt: now.toISOString() } as Prisma.InputJsonValue };
    case "EnableLostMode":
      return { lostMode: true };
    case "DisableLostMode":
      // The position was asked for lost mode; leaving it ends the reason to keep it.
      return { lostMode: false, location: Prisma.DbNull };
    case "EraseDevice":
      return { status: "WIPED", pushToken: null, pushMagic: null, unlockTokenSealed: null };
    default:
      return null;
  }
}
