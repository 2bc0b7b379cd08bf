"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { formAction } from "@/lib/actions";
import { UserError } from "@/lib/errors";
import { readUpload, uploadedFile } from "@/lib/upload";
import * as svc from "@/lib/user-certificates/service";

// The end user's certificate actions. The domain functions take the signed-in user and act
// only on that user's rows: an id from someone else is "not found".

const PAGE = "/my/certificates";
const id = z.string().max(100);
const password = z.string().max(1000).default("");
/** The portal is for end users; an admin's session gets no certificates here. */
const endUser = <U extends { role: string }>(u: U): U => {
  if (u.role !== "END_USER") throw new UserError("forbidden");
  return u;
};
const confirmed = (v: string | undefined) => {
  if (v !== "on") throw new UserError("usercert.confirmRequired");
};

export const uploadCertificate = formAction(
  {
    name: "usercert.upload",
    role: "user",
    schema: z.object({ purpose: z.enum(svc.PURPOSES, { message: "errors.usercert.purposeInvalid" }), name: z.string().max(1000).default(""), file: uploadedFile(), password }),
  },
  async (input, { user, t, ip, userAgent }) => {
    const file = await readUpload(input.file, svc.MAX_PKCS12_BYTES, "pkcs12.tooLarge");
    const { pushed } = await svc.uploadCertificate(endUser(user), { purpose: input.purpose, name: input.name, file, password: input.password }, { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: pushed ? t("myCertificates.uploadedPushed", { count: pushed }) : t("myCertificates.uploaded") };
  },
);

export const renameCertificate = formAction(
  { name: "usercert.rename", role: "user", schema: z.object({ id, name: z.string().max(1000).default("") }) },
  async (input, { user, t, ip, userAgent }) => {
    await svc.editCertificate(endUser(user), input.id, { name: input.name }, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: t("myCertificates.renamed") };
  },
);

export const replaceCertificate = formAction(
  { name: "usercert.replace", role: "user", schema: z.object({ id, file: uploadedFile(), password, confirm: z.string().optional() }) },
  async (input, { user, t, ip, userAgent }) => {
    confirmed(input.confirm);
    const file = await readUpload(input.file, svc.MAX_PKCS12_BYTES, "pkcs12.tooLarge");
    const { pushed } = await svc.editCertificate(endUser(user), input.id, { file, password: input.password }, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: pushed ? t("myCertificates.replacedPushed", { count: pushed }) : t("myCertificates.replaced") };
  },
);

export const clearCertificateKey = formAction(
  { name: "usercert.clearKey", role: "user", schema: z.object({ id, confirm: z.string().optional() }) },
  async (input, { user, t, ip, userAgent }) => {
    confirmed(input.confirm);
    await svc.clearPrivateKey(endUser(user), input.id, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: t("myCertificates.cleared") };
  },
);

export const deleteCertificate = formAction(
  { name: "usercert.delete", role: "user", schema: z.object({ id, confirm: z.string().optional() }) },
  async (input, { user, ip, userAgent }) => {
    confirmed(input.confirm);
    await svc.deleteCertificate(endUser(user), input.id, { ip, userAgent });
    revalidatePath(PAGE, "layout");
    redirect(`${PAGE}?deleted=1`);
  },
);
