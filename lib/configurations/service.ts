import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import { pushDevices } from "@/lib/apns/push-service";
import { startJob, type Job, type Progress } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import { installProfile, removeProfile } from "@/lib/mdm/commands";
import { buildPkcs12Profile } from "@/lib/mdm/profile";
import { devicePkcs12, openIdentity } from "@/lib/user-certificates/identity";
import type { CertificatePurpose, Configuration, Device, UserCertificate } from "@/lib/db/generated/client";
import { isUuid } from "@/lib/ids";

// Admin configurations. The only kind so far is "user-provided certificate": each targeted
// user's certificate of the chosen purpose(s) goes, as a PKCS#12 profile, to each of that
// user's active devices. ProfileInstallation rows remember what was asked of which device, so
// a retarget, a deleted configuration or a deleted certificate can remove exactly that.

export interface Ctx {
  ip?: string | null;
  userAgent?: string | null;
}

const SYSTEM: Actor = { id: null, label: "system" };
const NAME_MAX = 100;
const PUSH_BATCH = 500;
type DeviceRef = Pick<Device, "id" | "platform" | "ownerId">;
type Cert = UserCertificate;

/** One profile per (configuration, purpose): a replaced certificate replaces the profile. */
export function profileIdentifier(configurationId: string, purpose: CertificatePurpose): string {
  return `jp.mamori.configuration.${configurationId}.${purpose.toLowerCase()}`;
}

export async function listConfigurations() {
  return prisma().configuration.findMany({
    orderBy: { name: "asc" },
    include: { group: { select: { id: true, name: true } }, _count: { select: { installations: true } } },
  });
}

export async function getConfiguration(id: string) {
  if (!isUuid(id)) return null;
  return prisma().configuration.findUnique({ where: { id }, include: { group: { select: { id: true, name: true } } } });
}

export interface ConfigurationInput {
  name: string;
  purposes: CertificatePurpose[];
  /** null: every end user. */
  groupId: string | null;
}

async function checked(input: ConfigurationInput, excludeId?: string): Promise<ConfigurationInput> {
  const name = input.name.trim();
  if (!name) throw new UserError("configuration.nameRequired");
  if (name.length > NAME_MAX) throw new UserError("configuration.nameTooLong", { max: NAME_MAX });
  const purposes = [...new Set(input.purposes)];
  if (purposes.length === 0) throw new UserError("configuration.purposeRequired");
  if (input.groupId && !(isUuid(input.groupId) && (await prisma().userGroup.findUnique({ where: { id: input.groupId } })))) {
    throw new UserError("configuration.groupNotFound");
  }
  const clash = await prisma().configuration.findFirst({ where: { name, ...(excludeId && { id: { not: excludeId } }) }, select: { id: true } });
  if (clash) throw new UserError("configuration.nameTaken");
  return { name, purposes, groupId: input.groupId || null };
}

export async function createConfiguration(input: ConfigurationInput, actor: Actor, ctx: Ctx) {
  const data = await checked(input);
  const config = await prisma().configuration.create({ data: { ...data, kind: "USER_PROVIDED_CERTIFICATE", createdByLabel: actor.label } });
  const job = await startSync(config, actor, ctx);
  await audit({ actor, action: "configuration.create", target: target(config), details: { purposes: config.purposes, groupId: config.groupId, jobId: job.id }, ...ctx });
  return { configuration: config, job };
}

export async function updateConfiguration(id: string, input: ConfigurationInput, actor: Actor, ctx: Ctx) {
  const before = await getConfiguration(id);
  if (!before) throw new UserError("configuration.notFound");
  const data = await checked(input, id);
  const config = await prisma().configuration.update({ where: { id }, data });
  const job = await startSync(config, actor, ctx);
  await audit({
    actor, action: "configuration.update", target: target(config),
    details: { from: { name: before.name, purposes: before.purposes, groupId: before.groupId }, to: data, jobId: job.id }, ...ctx,
  });
  return { configuration: config, job };
}

/** The devices are brought in line by a configuration-sync job: for every user of a group, that is many profiles. */
function startSync(config: Configuration, actor: Actor, ctx: Ctx): Promise<Job> {
  return startJob(JOB_KINDS.configurationSync, actor, { configurationId: config.id, name: config.name }, { configurationId: config.id, actor, ctx: { ip: ctx.ip ?? null, userAgent: ctx.userAgent ?? null } });
}

export async function deleteConfiguration(id: string, actor: Actor, ctx: Ctx) {
  const config = await getConfiguration(id);
  if (!config) throw new UserError("configuration.notFound");
  const installs = await prisma().profileInstallation.findMany({ where: { configurationId: id }, include: { device: { select: { id: true, platform: true, ownerId: true } } } });
  let removed = 0;
  for (const i of installs) if (await sendRemove(i.device, i.identifier, actor, ctx)) removed++;
  await prisma().configuration.delete({ where: { id } });
  await audit({ actor, action: "configuration.delete", target: target(config), details: { removed }, ...ctx });
  return { removed };
}

// --- who gets what

/** Configurations that apply to a user: those for everyone and those for the user's group. */
export async function configurationsFor(user: { groupId: string | null }, purpose?: CertificatePurpose): Promise<Configuration[]> {
  return prisma().configuration.findMany({
    where: {
      kind: "USER_PROVIDED_CERTIFICATE",
      OR: [{ groupId: null }, ...(user.groupId ? [{ groupId: user.groupId }] : [])],
      ...(purpose && { purposes: { has: purpose } }),
    },
    orderBy: { createdAt: "asc" },
  });
}

function activeDevices(ownerId: string): Promise<DeviceRef[]> {
  return prisma().device.findMany({ where: { ownerId, status: "ACTIVE", platform: { in: ["IOS", "MACOS"] } }, select: { id: true, platform: true, ownerId: true } });
}

/** Queue InstallProfile for one certificate under one configuration on one device. */
async function sendInstall(device: DeviceRef, config: Configuration, cert: Cert, actor: Actor, ctx: Ctx, push = true): Promise<boolean> {
  const id = openIdentity(cert);
  if (!id.keyPem) return false; // a certificate whose key was cleared is not an identity any more
  const identifier = profileIdentifier(config.id, cert.purpose);
  const { pkcs12, password } = devicePkcs12(id);
  const { xml } = buildPkcs12Profile({
    identifier,
    displayName: `${config.name} (${cert.name})`,
    organization: process.env.MAMORI_ORGANIZATION || "Mamori",
    pkcs12,
    password,
    certificateFileName: cert.purpose === "SIGNING" ? "signing.p12" : "encryption.p12",
  });
  const cmd = await enqueueCommand(device.id, installProfile(device.platform === "MACOS" ? "MACOS" : "IOS", { payload: Buffer.from(xml, "utf8") }), { actor, ...ctx, push });
  await prisma().profileInstallation.upsert({
    where: { deviceId_identifier: { deviceId: device.id, identifier } },
    create: { deviceId: device.id, configurationId: config.id, userCertificateId: cert.id, identifier, commandId: cmd.id },
    update: { configurationId: config.id, userCertificateId: cert.id, commandId: cmd.id, queuedAt: new Date() },
  });
  return true;
}

/** Queue RemoveProfile (when the device is still managed) and forget the installation. */
async function sendRemove(device: DeviceRef, identifier: string, actor: Actor, ctx: Ctx, push = true): Promise<boolean> {
  let sent = false;
  const d = await prisma().device.findUnique({ where: { id: device.id }, select: { status: true } });
  if (d && (d.status === "ACTIVE" || d.status === "INACTIVE")) {
    await enqueueCommand(device.id, removeProfile(device.platform === "MACOS" ? "MACOS" : "IOS", { identifier }), { actor, ...ctx, push });
    sent = true;
  }
  await prisma().profileInstallation.deleteMany({ where: { deviceId: device.id, identifier } });
  return sent;
}

/** After an upload or replacement: (re)install the certificate wherever a configuration wants it. */
export async function pushCertificate(certId: string, actor: Actor, ctx: Ctx): Promise<number> {
  const cert = await prisma().userCertificate.findUnique({ where: { id: certId }, include: { user: { select: { id: true, groupId: true } } } });
  if (!cert || cert.keyClearedAt) return 0;
  const configs = await configurationsFor(cert.user, cert.purpose);
  if (configs.length === 0) return 0;
  let sent = 0;
  for (const device of await activeDevices(cert.user.id)) {
    for (const config of configs) if (await sendInstall(device, config, cert, actor, ctx)) sent++;
  }
  return sent;
}

/** Before a certificate is deleted: RemoveProfile for every profile that carried it. */
export async function removeCertificateProfiles(certId: string, actor: Actor, ctx: Ctx): Promise<number> {
  const installs = await prisma().profileInstallation.findMany({ where: { userCertificateId: certId }, include: { device: { select: { id: true, platform: true, ownerId: true } } } });
  let removed = 0;
  for (const i of installs) if (await sendRemove(i.device, i.identifier, actor, ctx)) removed++;
  return removed;
}

/**
 * Make the devices match a configuration: install where a targeted user's device lacks the
 * profile, remove where the device's owner is no longer targeted (or the purpose was dropped).
 */
export async function syncConfiguration(configId: string, actor: Actor, ctx: Ctx, progress?: Progress): Promise<{ installed: number; removed: number }> {
  const config = await prisma().configuration.findUnique({ where: { id: configId } });
  // Deleted before its sync ran: deleteConfiguration removed what it had installed.
  if (!config) return { installed: 0, removed: 0 };
  const certs = await prisma().userCertificate.findMany({
    where: {
      purpose: { in: config.purposes },
      keyClearedAt: null,
      user: { role: "END_USER", disabled: false, ...(config.groupId && { groupId: config.groupId }) },
    },
  });
  const byOwner = new Map<string, Cert[]>();
  for (const c of certs) byOwner.set(c.userId, [...(byOwner.get(c.userId) ?? []), c]);
  const wanted = new Set<string>();
  const touched = new Set<string>();
  let installed = 0;
  const existing = await prisma().profileInstallation.findMany({ where: { configurationId: configId }, include: { device: { select: { id: true, platform: true, ownerId: true } } } });
  const have = new Set(existing.map((i) => `${i.deviceId}|${i.identifier}|${i.userCertificateId}`));
  // Progress counts users to install for, then installations to check for removal.
  await progress?.setTotal(byOwner.size + existing.length);
  for (const [ownerId, list] of byOwner) {
    for (const device of await activeDevices(ownerId)) {
      for (const cert of list) {
        const key = `${device.id}|${profileIdentifier(config.id, cert.purpose)}`;
        wanted.add(key);
        if (have.has(`${key}|${cert.id}`)) continue;
        // No push per command: the touched devices are pushed together at the end, bounded.
        if (await sendInstall(device, config, cert, actor, ctx, false)) {
          installed++;
          touched.add(device.id);
        }
      }
    }
    await progress?.add(1);
  }
  let removed = 0;
  for (const i of existing) {
    await progress?.add(1);
    if (wanted.has(`${i.deviceId}|${i.identifier}`)) continue;
    if (await sendRemove(i.device, i.identifier, actor, ctx, false)) {
      removed++;
      touched.add(i.deviceId);
    }
  }
  const ids = [...touched];
  for (let i = 0; i < ids.length; i += PUSH_BATCH) await pushDevices(ids.slice(i, i + PUSH_BATCH));
  return { installed, removed };
}

/**
 * Make one user's devices match the configurations that now apply to the user: call it after
 * the user's group changes or the user is disabled.
 */
export async function syncUserConfigurations(userId: string, actor: Actor, ctx: Ctx): Promise<{ installed: number; removed: number }> {
  const user = await prisma().user.findUnique({ where: { id: userId }, select: { id: true, groupId: true, role: true, disabled: true } });
  if (!user) return { installed: 0, removed: 0 };
  const configs = user.role === "END_USER" && !user.disabled ? await configurationsFor(user) : [];
  const certs = await prisma().userCertificate.findMany({ where: { userId, keyClearedAt: null } });
  const existing = await prisma().profileInstallation.findMany({ where: { device: { ownerId: userId } }, include: { device: { select: { id: true, platform: true, ownerId: true } } } });
  const have = new Set(existing.map((i) => `${i.deviceId}|${i.identifier}|${i.userCertificateId}`));
  const wanted = new Set<string>();
  let installed = 0;
  for (const device of await activeDevices(userId)) {
    for (const config of configs) {
      for (const cert of certs.filter((c) => config.purposes.includes(c.purpose))) {
        const key = `${device.id}|${profileIdentifier(config.id, cert.purpose)}`;
        wanted.add(key);
        if (!have.has(`${key}|${cert.id}`) && (await sendInstall(device, config, cert, actor, ctx))) installed++;
      }
    }
  }
  let removed = 0;
  for (const i of existing) if (!wanted.has(`${i.deviceId}|${i.identifier}`) && (await sendRemove(i.device, i.identifier, actor, ctx))) removed++;
  return { installed, removed };
}

/** A device that just became active gets the configurations that apply to its owner. */
export async function pushConfigurationsForDevice(deviceId: string): Promise<number> {
  const device = await prisma().device.findUnique({ where: { id: deviceId }, include: { owner: { select: { id: true, groupId: true, role: true } } } });
  if (!device?.owner || device.owner.role !== "END_USER" || device.status !== "ACTIVE") return 0;
  if (device.platform !== "IOS" && device.platform !== "MACOS") return 0;
  const configs = await configurationsFor(device.owner);
  if (configs.length === 0) return 0;
  const certs = await prisma().userCertificate.findMany({ where: { userId: device.owner.id, keyClearedAt: null } });
  let sent = 0;
  for (const config of configs) {
    for (const cert of certs.filter((c) => config.purposes.includes(c.purpose))) {
      if (await sendInstall(device, config, cert, SYSTEM, {})) sent++;
    }
  }
  return sent;
}

function target(c: { id: string; name: string }) {
  return { type: "configuration", id: c.id, label: c.name };
}
