import { createPrivateKey } from "node:crypto";
import { prisma } from "@/lib/db/client";
import { withoutNul } from "@/lib/db/text";
import { ownCertificate } from "@/lib/auth/owner";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { hit } from "@/lib/rate-limit";
import { readPkcs12, type Pkcs12Contents } from "@/lib/pki/pkcs12";
import { pushCertificate, removeCertificateProfiles } from "@/lib/configurations/service";
import type { CertificatePurpose, UserCertificate } from "@/lib/db/generated/client";
import { certificateOnlyPkcs12, openIdentity, sealPassword, sealPkcs12 } from "./identity";
import { isUuid } from "@/lib/ids";

// Certificates end users upload for S/MIME (seed 000, "署名証明書と暗号化証明書のアップロード").
// Every function takes the acting user and touches only that user's rows: another user's
// certificate is "not found", never "forbidden", so ids cannot be probed.

export const MAX_PKCS12_BYTES = 100 * 1024;
export const PURPOSES = ["SIGNING", "ENCRYPTION"] as const satisfies readonly CertificatePurpose[];
const NAME_MAX = 100;
/** Uploads per user per hour: each one runs a password-based key derivation. */
const UPLOAD_LIMIT = { limit: 30, windowSeconds: 3600 };

export interface Ctx {
  ip: string | null;
  userAgent: string | null;
}

export type CertificateOwner = { id: string; email: string };

/** What a page may show: never the sealed columns. */
export type CertificateSummary = Omit<UserCertificate, "pkcs12Sealed" | "passwordSealed">;
const SUMMARY = {
  id: true, userId: true, purpose: true, name: true, certPem: true, subject: true, issuer: true, serial: true,
  notBefore: true, notAfter: true, keyClearedAt: true, uploadedAt: true, createdAt: true, updatedAt: true,
} as const;

const actorOf = (u: CertificateOwner): Actor => ({ id: u.id, label: u.email });

export async function listCertificates(userId: string): Promise<CertificateSummary[]> {
  return prisma().userCertificate.findMany({ where: { userId }, select: SUMMARY, orderBy: { purpose: "asc" } });
}

export async function getCertificate(userId: string, id: string): Promise<CertificateSummary | null> {
  if (!isUuid(id)) return null;
  return prisma().userCertificate.findFirst({ where: { id, userId }, select: SUMMARY });
}

/** The user's own certificate, or an audited refusal (someone probing ids shows in the log). */
async function owned(user: CertificateOwner, id: string, action: string, ctx: Ctx): Promise<UserCertificate> {
  const row = await ownCertificate(user, id, { action, ...ctx });
  if (!row) throw new UserError("usercert.notFound");
  return row;
}

/** Parse and check an upload; throws a UserError and stores nothing when it will not do. */
export function checkPkcs12(data: Buffer, password: string, now = new Date()): Pkcs12Contents {
  const id = readPkcs12(data, password, { requireKey: true, maxBytes: MAX_PKCS12_BYTES });
  if (id.cert.notAfter <= now) throw new UserError("usercert.expired", { date: id.cert.notAfter.toISOString() });
  if (id.cert.notBefore > now) throw new UserError("usercert.notYetValid", { date: id.cert.notBefore.toISOString() });
  // Profiles carry a PKCS#12 rebuilt under a fresh password (identity.ts); that needs an RSA key.
  if (createPrivateKey(id.keyPem!).asymmetricKeyType !== "rsa") throw new UserError("usercert.keyTypeUnsupported");
  return id;
}

function name(input: string | undefined, id: Pkcs12Contents): string {
  const n = withoutNul(input ?? "").trim() || id.cert.commonName || id.cert.subject;
  if (n.length > NAME_MAX) throw new UserError("usercert.nameTooLong", { max: NAME_MAX });
  return n.slice(0, NAME_MAX);
}

function stored(data: Buffer, password: string, id: Pkcs12Contents) {
  return {
    certPem: id.certPem,
    subject: id.cert.subject,
    issuer: id.cert.issuer,
    serial: id.cert.serial,
    notBefore: id.cert.notBefore,
    notAfter: id.cert.notAfter,
    pkcs12Sealed: sealPkcs12(data),
    passwordSealed: sealPassword(password),
    keyClearedAt: null,
    uploadedAt: new Date(),
  };
}

async function limited(user: CertificateOwner) {
  const r = await hit(`usercert.upload:${user.id}`, UPLOAD_LIMIT);
  if (!r.allowed) throw new UserError("usercert.rateLimited", { minutes: Math.ceil(r.retryAfterSeconds / 60) });
}

export async function uploadCertificate(
  user: CertificateOwner,
  input: { purpose: CertificatePurpose; name?: string; file: Buffer; password: string },
  ctx: Ctx,
): Promise<{ certificate: CertificateSummary; pushed: number }> {
  await limited(user);
  const id = checkPkcs12(input.file, input.password);
  if (await prisma().userCertificate.findFirst({ where: { userId: user.id, purpose: input.purpose }, select: { id: true } })) {
    throw new UserError("usercert.purposeTaken");
  }
  const row = await prisma().userCertificate
    .create({ data: { userId: user.id, purpose: input.purpose, name: name(input.name, id), ...stored(input.file, input.password, id) }, select: SUMMARY })
    .catch((e: unknown) => {
      // Two uploads of the same purpose at once: the unique index decides.
      if ((e as { code?: string }).code === "P2002") throw new UserError("usercert.purposeTaken");
      throw e;
    });
  await audit({ actor: actorOf(user), action: "usercert.upload", target: target(row), details: { purpose: row.purpose, issuer: row.issuer, serial: row.serial }, ...ctx });
  const pushed = await pushCertificate(row.id, actorOf(user), ctx);
  return { certificate: row, pushed };
}

/** Edit: a new name, a new file (re-pushed), or both. */
export async function editCertificate(
  user: CertificateOwner,
  certId: string,
  input: { name?: string; file?: Buffer; password?: string },
  ctx: Ctx,
): Promise<{ certificate: CertificateSummary; pushed: number }> {
  const current = await owned(user, certId, input.file ? "usercert.replace" : "usercert.rename", ctx);
  const newName = input.name === undefined ? undefined : withoutNul(input.name).trim();
  if (newName !== undefined && newName.length > NAME_MAX) throw new UserError("usercert.nameTooLong", { max: NAME_MAX });
  if (!input.file && !newName) throw new UserError("usercert.nothingToChange");

  if (!input.file) {
    const row = await prisma().userCertificate.update({ where: { id: current.id }, data: { name: newName }, select: SUMMARY });
    await audit({ actor: actorOf(user), action: "usercert.rename", target: target(row), details: { from: current.name, to: row.name }, ...ctx });
    return { certificate: row, pushed: 0 };
  }
  await limited(user);
  const id = checkPkcs12(input.file, input.password ?? "");
  const row = await prisma().userCertificate.update({
    where: { id: current.id },
    data: { ...(newName && { name: newName }), ...stored(input.file, input.password ?? "", id) },
    select: SUMMARY,
  });
  await audit({
    actor: actorOf(user), action: "usercert.replace", target: target(row),
    details: { purpose: row.purpose, issuer: row.issuer, serial: row.serial, previousSerial: current.serial, ...(newName && { name: newName }) }, ...ctx,
  });
  const pushed = await pushCertificate(row.id, actorOf(user), ctx);
  return { certificate: row, pushed };
}

/**
 * Keeps the certificate, drops the private key (and the password that protected it). Profiles
 * already on devices stay; nothing is pushed (seed: clearing does not re-push).
 */
export async function clearPrivateKey(user: CertificateOwner, certId: string, ctx: Ctx): Promise<CertificateSummary> {
  const current = await owned(user, certId, "usercert.clearKey", ctx);
  if (current.keyClearedAt) throw new UserError("usercert.keyAlreadyCleared");
  const certOnly = certificateOnlyPkcs12(openIdentity(current));
  const row = await prisma().userCertificate.update({
    where: { id: current.id },
    data: { pkcs12Sealed: sealPkcs12(certOnly), passwordSealed: null, keyClearedAt: new Date() },
    select: SUMMARY,
  });
  await audit({ actor: actorOf(user), action: "usercert.clearKey", target: target(row), ...ctx });
  return row;
}

/** Deletes the certificate and asks the user's devices to remove the profiles that carried it. */
export async function deleteCertificate(user: CertificateOwner, certId: string, ctx: Ctx): Promise<{ removed: number }> {
  const current = await owned(user, certId, "usercert.delete", ctx);
  const removed = await removeCertificateProfiles(current.id, actorOf(user), ctx);
  await prisma().userCertificate.delete({ where: { id: current.id } });
  await audit({ actor: actorOf(user), action: "usercert.delete", target: target(current), details: { purpose: current.purpose, serial: current.serial, profilesRemoved: removed }, ...ctx });
  return { removed };
}

function target(row: { id: string; name: string }) {
  return { type: "userCertificate", id: row.id, label: row.name };
}
