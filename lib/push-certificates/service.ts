import { prisma } from "@/lib/db/client";
import { withoutNul } from "@/lib/db/text";
import { audit, type Actor } from "@/lib/audit";
import { open, seal } from "@/lib/crypto";
import { UserError, isUserError } from "@/lib/errors";
import { generatePushRequest, vendorSignRequest } from "@/lib/pki/push-csr";
import { readPkcs12 } from "@/lib/pki/pkcs12";
import { checkVendorCertificate } from "@/lib/pki/vendor-check";
import { validatePushCertificate } from "@/lib/pki/push-certificate";
import type { Prisma } from "@/lib/db/generated/client";
import { alertPushCertificateRefused } from "@/lib/expiry/alerts";
import { startJob, type Job } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";

// The push certificate lifecycle: request (CSR), vendor signature, upload, renew, delete.
// Keys stay sealed at rest (lib/crypto); every step is audited, refusals included.

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

const REQUEST_KEY = "push-request-key";
const CERT_KEY = "push-cert-key";
const VENDOR_KEY = "vendor-key";
export const MAX_CERT_BYTES = 64 * 1024;
export const MAX_P12_BYTES = 100 * 1024;

const target = (id?: string, label?: string) => ({ type: "pushCertificate", id, label });

/**
 * After a renewal every device of the topic must check in so it keeps talking to us: a
 * push-devices job over the whole topic (no device list), audited as "pushCert.push_all".
 */
export async function startRenewalPush(topic: string, actor: Actor, ctx: RequestContext): Promise<Job> {
  const job = await startJob(JOB_KINDS.push, actor, { reason: "renewal", topic }, {});
  await audit({ actor, action: "pushCert.push_all", target: target(undefined, topic), details: { jobId: job.id }, ...ctx });
  return job;
}

/** Serialises writers of the push certificate tables across instances. */
async function lock(tx: Prisma.TransactionClient) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('mamori:push-certificate'))`;
}

export async function getPushState() {
  const [request, certificates, vendor] = await Promise.all([
    prisma().pushCertificateRequest.findUnique({ where: { id: 1 }, select: { createdAt: true, createdByLabel: true } }),
    prisma().pushCertificate.findMany({ orderBy: { uploadedAt: "desc" }, omit: { keySealed: true } }),
    prisma().vendorCertificate.findUnique({ where: { id: 1 }, select: { subject: true, notAfter: true, uploadedAt: true } }),
  ]);
  const active = certificates.find((c) => c.status === "ACTIVE") ?? null;
  return { request, active, history: certificates.filter((c) => c !== active), vendor };
}

/** A new key and CSR; replaces any earlier pending request (one at a time). */
export async function generateRequest(actor: Actor, ctx: RequestContext) {
  const { keyPem, csrPem } = generatePushRequest({ commonName: "Mamori MDM push certificate request" });
  const data = { csrPem, keySealed: seal(keyPem, REQUEST_KEY), createdByLabel: actor.label, createdAt: new Date() };
  await prisma().pushCertificateRequest.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
  await audit({ actor, action: "pushCert.request", target: target(undefined, "CSR"), ...ctx });
}

export async function pendingCsr(): Promise<string | null> {
  return (await prisma().pushCertificateRequest.findUnique({ where: { id: 1 } }))?.csrPem ?? null;
}

/**
 * The base64 plist Apple's portal accepts: the one the signing service returned for the pending
 * request if there is one, else the pending request signed with the uploaded vendor certificate.
 */
export async function vendorSignedRequest(): Promise<string | null> {
  const [req, vendor, service] = await Promise.all([
    prisma().pushCertificateRequest.findUnique({ where: { id: 1 } }),
    prisma().vendorCertificate.findUnique({ where: { id: 1 } }),
    prisma().vendorSigningService.findUnique({ where: { id: 1 }, select: { signedRequest: true, submittedCsrPem: true } }),
  ]);
  if (req && service?.signedRequest && service.submittedCsrPem === req.csrPem) return service.signedRequest;
  if (!req || !vendor) return null;
  const chain = vendor.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return vendorSignRequest(req.csrPem, {
    certPem: vendor.certPem,
    keyPem: open(vendor.keySealed, VENDOR_KEY).toString("utf8"),
    chainPem: chain,
  });
}

export async function refused<T>(action: string, actor: Actor, ctx: RequestContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isUserError(e)) {
      await audit({ actor, action, result: "FAILURE", target: target(), details: { code: e.code, ...e.params }, ...ctx });
    }
    throw e;
  }
}

/** The MDM vendor signing identity (PKCS#12 with its key), replacing any earlier one. */
export async function uploadVendorCertificate(file: Buffer, password: string, actor: Actor, ctx: RequestContext) {
  return refused("vendorCert.upload", actor, ctx, async () => {
    const p12 = readPkcs12(file, password, { requireKey: true, maxBytes: MAX_P12_BYTES });
    checkVendorCertificate(p12.certPem, p12.chainPems);
    const data = {
      certPem: p12.certPem,
      chainPem: p12.chainPems.join(""),
      keySealed: seal(p12.keyPem!, VENDOR_KEY),
      subject: p12.cert.subject,
      notAfter: p12.cert.notAfter,
      uploadedByLabel: actor.label,
      uploadedAt: new Date(),
    };
    await prisma().vendorCertificate.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
    await audit({ actor, action: "vendorCert.upload", target: { type: "vendorCertificate", label: p12.cert.subject }, ...ctx });
  });
}

export interface UploadInput {
  file: Buffer;
  appleId: string;
  notes: string;
}

/**
 * Validates and activates a certificate from Apple's portal. A renewal (same topic) replaces
 * the active one; the caller then pushes every device so they check in with the new one.
 */
export async function uploadPushCertificate(input: UploadInput, actor: Actor, ctx: RequestContext, now = new Date()) {
  return refused("pushCert.upload", actor, ctx, async () => {
    if (input.file.length > MAX_CERT_BYTES) throw new UserError("pushCert.tooLarge", { maxKb: MAX_CERT_BYTES / 1024 });
    const appleId = withoutNul(input.appleId).trim();
    if (!appleId) throw new UserError("pushCert.appleIdRequired");
    return prisma().$transaction(async (tx) => {
      await lock(tx);
      const [request, all] = await Promise.all([
        tx.pushCertificateRequest.findUnique({ where: { id: 1 } }),
        tx.pushCertificate.findMany({ select: { id: true, status: true, topic: true, serial: true, notAfter: true } }),
      ]);
      const active = all.find((c) => c.status === "ACTIVE") ?? null;
      const pendingKeyPem = request ? open(request.keySealed, REQUEST_KEY).toString("utf8") : null;
      const { info, topic, isRenewal } = validatePushCertificate(input.file, { pendingKeyPem, active, existing: all, now });
      if (active) await tx.pushCertificate.update({ where: { id: active.id }, data: { status: "REPLACED", replacedAt: now } });
      const cert = await tx.pushCertificate.create({
        data: {
          status: "ACTIVE",
          topic,
          subject: info.subject,
          issuer: info.issuer,
          serial: info.serial,
          notBefore: info.notBefore,
          notAfter: info.notAfter,
          fingerprint: info.fingerprintSha256,
          certPem: info.pem,
          keySealed: seal(pendingKeyPem!, CERT_KEY),
          appleId,
          notes: withoutNul(input.notes).slice(0, 4000),
          uploadedByLabel: actor.label,
          uploadedAt: now,
        },
      });
      await tx.pushCertificateRequest.delete({ where: { id: 1 } });
      await audit({ actor, action: "pushCert.upload", target: target(cert.id, topic), details: { serial: info.serial, notAfter: info.notAfter.toISOString(), renewal: isRenewal }, ...ctx }, tx);
      return { certificate: cert, isRenewal };
    });
  });
}

export async function updateNotes(id: string, notes: string, actor: Actor, ctx: RequestContext) {
  const cert = await prisma().pushCertificate.findUnique({ where: { id } });
  if (!cert) throw new UserError("pushCert.notFound");
  await prisma().pushCertificate.update({ where: { id }, data: { notes: withoutNul(notes).slice(0, 4000) } });
  await audit({ actor, action: "pushCert.notes", target: target(id, cert.topic), ...ctx });
}

/** Words that confirm a deletion, in either language. */
export const DELETE_WORDS = ["DELETE", "削除"];

/** Deletes the key (devices become unmanageable) but keeps the record and its notes. */
export async function deletePushCertificate(id: string, confirmation: string, actor: Actor, ctx: RequestContext) {
  return refused("pushCert.delete", actor, ctx, async () => {
    if (!DELETE_WORDS.includes(confirmation.trim().toUpperCase())) throw new UserError("pushCert.confirmDelete");
    await prisma().$transaction(async (tx) => {
      await lock(tx);
      const cert = await tx.pushCertificate.findUnique({ where: { id } });
      if (!cert || cert.status === "DELETED") throw new UserError("pushCert.notFound");
      await tx.pushCertificate.update({ where: { id }, data: { status: "DELETED", keySealed: null, deletedAt: new Date(), deletedByLabel: actor.label } });
      await audit({ actor, action: "pushCert.delete", target: target(id, cert.topic), details: { serial: cert.serial }, ...ctx }, tx);
    });
  });
}

export interface PushIdentityRecord {
  id: string;
  topic: string;
  fingerprint: string;
  certPem: string;
  keyPem: string;
}

/** The active certificate with its key, or null when there is none or Apple refused it. */
export async function activeIdentity(): Promise<PushIdentityRecord | null> {
  const c = await prisma().pushCertificate.findFirst({ where: { status: "ACTIVE", unusableAt: null } });
  if (!c?.keySealed) return null;
  return { id: c.id, topic: c.topic, fingerprint: c.fingerprint, certPem: c.certPem, keyPem: open(c.keySealed, CERT_KEY).toString("utf8") };
}

/** Apple refused the certificate: stop using it until an admin replaces it, and tell the admins once. */
export async function markUnusable(id: string, reason: string): Promise<boolean> {
  const { count } = await prisma().pushCertificate.updateMany({ where: { id, unusableAt: null }, data: { unusableAt: new Date(), unusableReason: reason.slice(0, 200) } });
  if (!count) return false;
  const cert = await prisma().pushCertificate.findUniqueOrThrow({ where: { id }, select: { topic: true } });
  await audit({ actor: { id: null, label: "system" }, action: "pushCert.unusable", result: "FAILURE", target: target(id, cert.topic), details: { reason } });
  await alertPushCertificateRefused(cert.topic, reason);
  return true;
}

