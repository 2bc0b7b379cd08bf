"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { readUpload as bytes, uploadedFile } from "@/lib/upload";
import { getFormatter } from "@/lib/i18n/server";
import * as svc from "@/lib/push-certificates/service";
import * as signing from "@/lib/push-certificates/signing-service";

const PAGE = "/admin/certificates/push";
const file = uploadedFile();

const actor = (u: { id: string; email: string }) => ({ id: u.id, label: u.email });

export const createRequest = action.admin({ name: "pushCert.request", schema: z.object({}) }, async (_, { user, t, ip, userAgent }) => {
  await svc.generateRequest(actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  return { ok: true, message: t("pushCert.requestReady") };
});

export const uploadVendor = action.admin(
  { name: "vendorCert.upload", schema: z.object({ file, password: z.string().max(1000) }) },
  async (input, { user, t, ip, userAgent }) => {
    const data = await bytes(input.file, svc.MAX_P12_BYTES, "pkcs12.tooLarge");
    await svc.uploadVendorCertificate(data, input.password, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("pushCert.vendorSaved") };
  },
);

export const saveSigningService = action.admin(
  { name: "vendorService.settings", schema: z.object({ baseUrl: z.string().max(2000), email: z.string().max(320), apiKey: z.string().max(500).default("") }) },
  async (input, { user, t, ip, userAgent }) => {
    await signing.saveServiceSettings(input, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("pushCert.service.saved") };
  },
);

export const requestServiceSigning = action.admin({ name: "vendorService.request", schema: z.object({}) }, async (_, { user, t, ip, userAgent }) => {
  const { email } = await signing.requestServiceSigning(actor(user), { ip, userAgent });
  revalidatePath(PAGE);
  return { ok: true, message: t("pushCert.service.requested", { email }) };
});

export const uploadServiceReply = action.admin(
  { name: "vendorService.reply", schema: z.object({ file }) },
  async (input, { user, t, ip, userAgent }) => {
    const data = await bytes(input.file, signing.MAX_REPLY_BYTES, "vendorService.tooLarge");
    await signing.acceptServiceReply(data, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("pushCert.service.replyAccepted") };
  },
);

export const uploadCertificate = action.admin(
  { name: "pushCert.upload", schema: z.object({ file, appleId: z.string().max(320), notes: z.string().max(4000).default("") }) },
  async (input, { user, t, ip, userAgent }) => {
    const data = await bytes(input.file, svc.MAX_CERT_BYTES, "pushCert.tooLarge");
    const { certificate, isRenewal } = await svc.uploadPushCertificate({ file: data, appleId: input.appleId, notes: input.notes }, actor(user), { ip, userAgent });
    const job = isRenewal ? await svc.startRenewalPush(certificate.topic, actor(user), { ip, userAgent }) : null;
    revalidatePath(PAGE);
    const date = (await getFormatter())(certificate.notAfter);
    return { ok: true, message: t(isRenewal ? "pushCert.renewed" : "pushCert.uploaded", { date }), jobId: job?.id };
  },
);

export const saveNotes = action.admin(
  { name: "pushCert.notes", schema: z.object({ id: z.uuid(), notes: z.string().max(4000) }) },
  async (input, { user, t, ip, userAgent }) => {
    await svc.updateNotes(input.id, input.notes, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("pushCert.notesSaved") };
  },
);

export const deleteCertificate = action.admin(
  { name: "pushCert.delete", schema: z.object({ id: z.uuid(), confirmation: z.string().max(100) }) },
  async (input, { user, t, ip, userAgent }) => {
    await svc.deletePushCertificate(input.id, input.confirmation, actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("pushCert.deleted") };
  },
);
