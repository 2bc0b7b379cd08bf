"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { UserError } from "@/lib/errors";
import { readUpload, uploadedFile } from "@/lib/upload";
import * as svc from "@/lib/user-certificates/service";

// The end user's certificate actions. The domain functions take the signed-in user and act
// only on that user's rows: an id from someone else is "not found".

const PAGE = "/my/certificates";
const id = z.string().max(100);
const password = z.string().max(1000).default("");
const confirmed = (v: string | undefined) => {
  if (v !== "on") throw new UserError("usercert.confirmRequired");
};

export const uploadCertificate = action.endUser(
  {
    name: "usercert.upload",
    schema: z.object({ purpose: z.enum(svc.PURPOSES, { message: "errors.usercert.purposeInvalid" }), name: z.string().max(1000).default(""), file: uploadedFile(), password }),
  },
  async (input, { user, t, ip, userAgent }) => {
    const file = await readUpload(input.file, svc.MAX_PKCS12_BYTES, "pkcs12.tooLarge");
    const { pushed } = await svc.uploadCertificate(user, { purpose: input.purpose, name: input.name, file, password: input.password }, { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: pushed ? t("myCertificates.uploadedPushed", { count: pushed }) : t("myCertificates.uploaded") };
  },
);

export const renameCertificate = action.endUser(
  { name: "usercert.rename", schema: z.object({ id, name: z.string().max(1000).default("") }) },
  async (input, { user, t, ip, userAgent }) => {
    await svc.editCertificate(user, input.id, { name: input.name }, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: t("myCertificates.renamed") };
  },
);

export const replaceCertificate = action.endUser(
  { name: "usercert.replace", schema: z.object({ id, file: uploadedFile(), password, confirm: z.string().optional() }) },
  async (input, { user, t, ip, userAgent }) => {
    confirmed(input.confirm);
    const file = await readUpload(input.file, svc.MAX_PKCS12_BYTES, "pkcs12.tooLarge");
    const { pushed } = await svc.editCertificate(user, input.id, { file, password: input.password }, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: pushed ? t("myCertificates.replacedPushed", { count: pushed }) : t("myCertificates.replaced") };
  },
);

export const clearCertificateKey = action.endUser(
  { name: "usercert.clearKey", schema: z.object({ id, confirm: z.string().optional() }) },
  async (input, { user, t, ip, userAgent }) => {
    confirmed(input.confirm);
    await svc.clearPrivateKey(user, input.id, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: t("myCertificates.cleared") };
  },
);

export const deleteCertificate = action.endUser(
  { name: "usercert.delete", schema: z.object({ id, confirm: z.string().optional() }) },
  async (input, { user, ip, userAgent }) => {
    confirmed(input.confirm);
    await svc.deleteCertificate(user, input.id, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    redirect(`${PAGE}?deleted=1`);
  },
);
