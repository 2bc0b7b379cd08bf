"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { UserError } from "@/lib/errors";
import * as svc from "@/lib/configurations/service";
import type { CertificatePurpose } from "@/lib/db/generated/client";

const PAGE = "/admin/configurations";
const actor = (u: { id: string; email: string }) => ({ id: u.id, label: u.email });

// Checkboxes arrive as separate fields (the action guard reads FormData as one value per name).
const fields = {
  name: z.string().max(1000),
  signing: z.string().optional(),
  encryption: z.string().optional(),
  /** "" = all users, else a group id. */
  target: z.string().max(100).default(""),
};

function input(v: { name: string; signing?: string; encryption?: string; target: string }): svc.ConfigurationInput {
  const purposes: CertificatePurpose[] = [];
  if (v.signing === "on") purposes.push("SIGNING");
  if (v.encryption === "on") purposes.push("ENCRYPTION");
  return { name: v.name, purposes, groupId: v.target || null };
}

export const createConfiguration = action.admin(
  { name: "configuration.create", schema: z.object(fields) },
  async (v, { user, t, ip, userAgent }) => {
    const { job } = await svc.createConfiguration(input(v), actor(user), { ip, userAgent });
    revalidatePath(PAGE);
    return { ok: true, message: t("configurations.created_"), jobId: job.id };
  },
);

export const updateConfiguration = action.admin(
  { name: "configuration.update", schema: z.object({ id: z.string().max(100), ...fields }) },
  async (v, { user, t, ip, userAgent }) => {
    const { job } = await svc.updateConfiguration(v.id, input(v), actor(user), { ip, userAgent });
    revalidatePath(PAGE, "layout");
    return { ok: true, message: t("configurations.saved"), jobId: job.id };
  },
);

export const deleteConfiguration = action.admin(
  { name: "configuration.delete", schema: z.object({ id: z.string().max(100), confirm: z.string().optional() }) },
  async (v, { user, ip, userAgent }) => {
    if (v.confirm !== "on") throw new UserError("configuration.confirmRequired");
    await svc.deleteConfiguration(v.id, actor(user), { ip, userAgent });
    revalidatePath(PAGE, "layout");
    redirect(PAGE);
  },
);
