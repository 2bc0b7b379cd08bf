import { prisma } from "@/lib/db/client";
import { audit } from "@/lib/audit";
import { open, seal } from "@/lib/crypto";
import { UserError } from "@/lib/errors";
import { Prisma, type Device } from "@/lib/db/generated/client";
import { parsePlist, buildPlist, type PlistDict } from "./plist";
import { parseCheckin, parseConnect, type Authenticate, type TokenUpdate, type ConnectReport } from "./checkin";
import { envelope, type CommandDict } from "./commands";
import { parseErrorChain, parseResult, type ErrorChainItem } from "./results";
import { dicts, MAX_FIELD_CHARS } from "./fields";
import { commandBody, jsonSafe } from "./queue";
import { connect, lookupDevice, RESULT_KEYS, type AnswerStatus, type ConnectInput, type DevicePatch } from "./storage";
import { deviceEnrolled } from "./events";
import type { DeviceIdentity } from "./identity";

// The MDM service behind the check-in and connect endpoints, independent of HTTP: route
// handlers parse the request, identify the device, call these and write the answer. What
// follows an enrollment (invitations, configurations, first queries) is an event handled by a
// job, so this module imports no other domain.

export interface MdmAnswer {
  status: number;
  body?: string;
  contentType?: string;
  /** Retry-After, in seconds (a 503 while the database is away). */
  retryAfter?: number;
}

const OK: MdmAnswer = { status: 200 };
const PLIST = "application/xml; charset=utf-8";
const SYSTEM = { id: null, label: "device" };
const UNLOCK = "unlock-token";
const BOOTSTRAP = "bootstrap-token";
const FINISHED = new Set(["RETIRED", "WIPED"]);

function plistAnswer(obj: Record<string, unknown>): MdmAnswer {
  return { status: 200, body: buildPlist(obj as never), contentType: PLIST };
}

function platformOf(m: Authenticate): "IOS" | "MACOS" {
  const hint = `${m.productName ?? ""} ${m.model ?? ""}`;
  return /Mac|iMac/i.test(hint) && !/iPad|iPhone/i.test(hint) ? "MACOS" : "IOS";
}

/** The device this identity was bound to at Authenticate, while it is managed; anything else is refused. */
async function boundDevice(udid: string | undefined, identity: DeviceIdentity): Promise<Device> {
  if (!udid) throw new UserError("mdm.userEnrollmentUnsupported");
  const device = await prisma().device.findUnique({ where: { udid } });
  if (!device || device.identityFingerprint !== identity.fingerprint) throw new UserError("mdm.identityMismatch");
  // A checked-out, retired or wiped identity is finished: the device must enroll anew.
  if (FINISHED.has(device.status)) throw new UserError("mdm.identityFinished");
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

type Existing = { id: string; udid: string | null; ownerId: string | null; status: string };
const EXISTING = { id: true, udid: true, ownerId: true, status: true } as const;

async function refuse(code: string, m: Authenticate, details: Record<string, unknown>): Promise<never> {
  await audit({ actor: SYSTEM, action: "device.authenticate", result: "DENIED", target: { type: "device", label: m.serialNumber ?? m.udid }, details: { reason: code, udid: m.udid, ...details } });
  throw new UserError(code);
}

/**
 * Authenticate binds the identity to the device record. Re-enrollment (same UDID, else same
 * serial number: a Mac or an erased iPhone may come back with another UDID) reuses the record,
 * with its history, only for the same owner: a device never moves to another owner. A record of
 * another owner is left alone; when it is retired or wiped the device starts a new record, and
 * while it is managed the enrollment is refused until an admin retires it.
 */
async function authenticate(m: Authenticate, identity: DeviceIdentity, now: Date): Promise<MdmAnswer> {
  if (!m.udid) throw new UserError("mdm.userEnrollmentUnsupported");
  const udid = m.udid;
  const enrollment = identity.enrollmentId ? await prisma().enrollment.findUnique({ where: { id: identity.enrollmentId } }) : null;
  if (!enrollment?.challengeUsedAt) throw new UserError("mdm.unknownEnrollment");
  const active = await prisma().pushCertificate.findFirst({ where: { status: "ACTIVE" }, select: { topic: true } });
  // A device on another topic could never be woken: refuse it now rather than keep it silently.
  if (active && m.topic !== active.topic) await refuse("mdm.topicMismatch", m, { topic: m.topic, expected: active.topic });

  const outcome = await prisma().$transaction(async (tx) => {
    // Concurrent Authenticates for one device (or one serial number) run one after the other.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`mdm-udid:${udid}`}))`;
    if (m.serialNumber) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`mdm-serial:${m.serialNumber}`}))`;
    const taken = await tx.device.findUnique({ where: { identityFingerprint: identity.fingerprint }, select: EXISTING });
    if (taken && taken.udid !== udid) return { refused: "mdm.identityMismatch" } as const;
    if (taken && FINISHED.has(taken.status)) return { refused: "mdm.identityFinished" } as const;

    const byUdid = await tx.device.findUnique({ where: { udid }, select: EXISTING });
    const bySerial = !byUdid && m.serialNumber
      ? await tx.device.findFirst({ where: { serialNumber: m.serialNumber, udid: { not: null } }, orderBy: { updatedAt: "desc" }, select: EXISTING })
      : null;
    const match: Existing | null = byUdid ?? bySerial;
    const sameOwner = match && match.ownerId === enrollment.userId;
    if (match && !sameOwner && !FINISHED.has(match.status)) return { refused: "mdm.deviceOwnedByAnother", match } as const;

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
      udid,
    };
    if (match && sameOwner) {
      const device = await tx.device.update({ where: { id: match.id }, data });
      return { device, reenrolled: match } as const;
    }
    // Another owner's finished record keeps its history; it gives up the UDID for the new one.
    if (match && match.udid === udid) await tx.device.update({ where: { id: match.id }, data: { udid: null } });
    const device = await tx.device.create({ data });
    return { device, handedOver: match } as const;
  });

  if ("refused" in outcome) {
    const previous = "match" in outcome && outcome.match ? { previousDeviceId: outcome.match.id, previousOwnerId: outcome.match.ownerId, ownerId: enrollment.userId } : {};
    return refuse(outcome.refused!, m, { enrollmentId: enrollment.id, ...previous });
  }
  const { device } = outcome;
  const label = m.serialNumber ?? udid;
  const reenrolled = "reenrolled" in outcome ? outcome.reenrolled : null;
  const handedOver = "handedOver" in outcome ? outcome.handedOver : null;
  await audit({ actor: SYSTEM, action: "device.authenticate", target: { type: "device", id: device.id, label }, details: { enrollmentId: enrollment.id, reenrollment: Boolean(reenrolled) } });
  if (reenrolled) {
    await audit({
      actor: SYSTEM,
      action: "device.reenroll",
      target: { type: "device", id: device.id, label },
      details: { enrollmentId: enrollment.id, matchedBy: reenrolled.udid === udid ? "udid" : "serialNumber", previousUdid: reenrolled.udid, ownerId: enrollment.userId },
    });
  }
  if (handedOver) {
    await audit({
      actor: SYSTEM,
      action: "device.reenroll",
      result: "DENIED",
      target: { type: "device", id: handedOver.id, label },
      details: { enrollmentId: enrollment.id, reason: "otherOwner", previousStatus: handedOver.status, newDeviceId: device.id },
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
  // Only the request that moves the device out of ENROLLING announces the enrollment.
  const { count: first } = await prisma().device.updateMany({ where: { id: device.id, status: "ENROLLING" }, data: { status: "ACTIVE", enrolledAt: device.enrolledAt ?? now } });
  await prisma().device.update({
    where: { id: device.id },
    data: {
      topic: m.topic,
      pushToken: m.token,
      pushMagic: m.pushMagic,
      tokenInvalidAt: null,
      awaitingConfiguration: m.awaitingConfiguration,
      ...(m.unlockToken && { unlockTokenSealed: seal(m.unlockToken, UNLOCK) }),
      ...(device.status === "INACTIVE" && { status: "ACTIVE" }),
      lastCheckInAt: now,
    },
  });
  if (first) {
    await audit({ actor: SYSTEM, action: "device.enroll", target: { type: "device", id: device.id, label: device.serialNumber ?? device.udid } });
    await deviceEnrolled({ deviceId: device.id, awaitingConfiguration: m.awaitingConfiguration, at: now.toISOString() });
  }
  return OK;
}

/** The unlock token a ClearPasscode command needs, or null when the device gave none. */
export function unlockToken(device: Pick<Device, "unlockTokenSealed">): Buffer | null {
  return device.unlockTokenSealed ? open(device.unlockTokenSealed, UNLOCK) : null;
}

/**
 * The connect endpoint: records the device's answer and hands out its next command in one
 * statement (see lib/mdm/storage.ts). The answered command's type is guessed from the result's
 * key; in the rare case the command is of another type, the answer is read again as that type.
 */
export async function handleConnect(body: Buffer, identity: DeviceIdentity, now = new Date()): Promise<MdmAnswer> {
  const report = parseConnect(parsePlist(body));
  if (!report.udid) throw new UserError("mdm.userEnrollmentUnsupported");
  const input: ConnectInput = { udid: report.udid, fingerprint: identity.fingerprint, now, idle: report.status === "Idle" };
  if (report.userId) {
    // Commands go to the device channel only; a user channel just gets "nothing to do".
    const bound = await lookupDevice(report.udid, identity.fingerprint);
    if (!bound) throw new UserError("mdm.identityMismatch");
    if (FINISHED.has(bound.status)) throw new UserError("mdm.identityFinished");
    return OK;
  }
  if (report.commandUuid && report.status !== "Idle") input.answer = answerFor(guessType(report.response), report, now);
  let out = await connect(input);
  if (out.readAsInstead) {
    input.answer = answerFor(out.readAsInstead, report, now);
    out = await connect(input);
  }
  if (!out.deviceId) throw new UserError("mdm.identityMismatch");
  if (out.finished) throw new UserError("mdm.identityFinished");
  if (!out.next) return OK;
  return plistAnswer(envelope(out.next.id, commandBody({ payload: out.next.payload as Prisma.JsonValue, sealedBody: out.next.sealedBody }) as CommandDict));
}

/** The request type an acknowledgement's result belongs to, by its key; null when it carries none. */
function guessType(response: PlistDict): string | null {
  for (const [type, key] of Object.entries(RESULT_KEYS)) if (key in response) return type;
  return null;
}

const STATUS: Record<Exclude<ConnectReport["status"], "Idle">, AnswerStatus> = {
  Acknowledged: "ACKNOWLEDGED",
  NotNow: "NOT_NOW",
  Error: "ERROR",
  CommandFormatError: "ERROR",
};

/**
 * What an answer writes: the command's outcome, and for a result read as `readAs` the read
 * result, its inventory entry and device changes. Without `readAs` the statement itself marks an
 * acknowledgement that lacks the result its type must carry, and applies the effects of
 * acknowledgements without a result (EraseDevice, lost mode).
 */
function answerFor(readAs: string | null, r: ConnectReport, now: Date): NonNullable<ConnectInput["answer"]> {
  const status = STATUS[r.status as keyof typeof STATUS];
  const raw = Object.keys(r.response).length ? jsonSafe(r.response) : undefined;
  const base = { commandUuid: r.commandUuid!, status, errorChain: r.errorChain };
  // Settings is acknowledged as a whole and answered per item: an item's Error is the command's.
  const refused = status === "ACKNOWLEDGED" ? refusedSettings(r.response) : null;
  if (refused) return { ...base, status: "ERROR", errorChain: refused, result: raw };
  if (status !== "ACKNOWLEDGED") return { ...base, result: raw };
  if (!readAs || !(readAs in RESULT_KEYS)) return { ...base, result: raw ?? {} };
  let parsed: unknown;
  try {
    parsed = jsonSafe(parseResult(readAs, r.response));
  } catch (e) {
    // An acknowledgement we cannot read is kept as an error that says so: the device is not told
    // "error" for an answer that was kept, and the admin sees why there is no result.
    const field = e instanceof UserError ? String(e.params.field ?? "") : "";
    return {
      ...base,
      readAs,
      status: "ERROR",
      result: raw,
      errorChain: [{ code: null, domain: "Mamori", description: `The answer to ${readAs} could not be read${field ? ` (${field})` : ""}` }],
    };
  }
  return { ...base, readAs, result: parsed, ...effects(readAs, parsed, now) };
}

/** The error chains of the Settings items the device refused; null when none was. */
function refusedSettings(response: PlistDict): ErrorChainItem[] | null {
  const refused = dicts(response.Settings).filter((i) => i.Status === "Error");
  if (!refused.length) return null;
  const chain = refused.flatMap((i) => parseErrorChain(i.ErrorChain));
  return chain.length ? chain : [{ code: null, domain: "Mamori", description: "The device refused the setting" }];
}

const INVENTORY_KIND: Record<string, string> = {
  DeviceInformation: "deviceInformation",
  SecurityInfo: "securityInfo",
  InstalledApplicationList: "applications",
  ProfileList: "profiles",
  CertificateList: "certificates",
};

/** What a read result changes: its inventory entry and the device's own columns. */
function effects(requestType: string, parsed: unknown, now: Date): { inventory?: { kind: string; data: unknown }; patch?: DevicePatch } {
  const kind = INVENTORY_KIND[requestType];
  const inventory = kind ? { kind, data: parsed } : undefined;
  switch (requestType) {
    case "DeviceInformation": {
      const info = parsed as Record<string, unknown>;
      const patch: DevicePatch = {};
      const cols: Array<[keyof DevicePatch, string]> = [
        ["name", "name"], ["os_version", "osVersion"], ["build_version", "buildVersion"], ["model", "model"], ["model_name", "modelName"],
        ["product_name", "productName"], ["serial_number", "serialNumber"], ["imei", "imei"], ["meid", "meid"], ["phone_number", "phoneNumber"],
        ["capacity_gb", "capacityGb"], ["supervised", "supervised"], ["lost_mode", "lostModeEnabled"],
      ];
      // A query the device left out keeps what is known. A string too long for the column's index
      // (no device sends one) is kept in the inventory only.
      for (const [col, key] of cols) {
        const v = info[key];
        if (v === undefined || v === null || (typeof v === "string" && v.length > MAX_FIELD_CHARS)) continue;
        patch[col] = v as string;
      }
      return { inventory, patch };
    }
    case "DeviceLocation":
      return { patch: { location: { ...(parsed as object), receivedAt: now.toISOString() } } };
    default:
      return { inventory };
  }
}
