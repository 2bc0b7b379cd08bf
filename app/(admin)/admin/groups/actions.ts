"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { UserError } from "@/lib/errors";
import { createGroup, deleteGroup, updateGroup } from "@/lib/groups";

const name = z.string().max(400, { error: "validation.tooLong" });
const description = z.string().max(2000, { error: "validation.tooLong" }).optional();
const done = () => {
  revalidatePath("/admin/groups");
  revalidatePath("/admin/privacy");
};

export const createGroupAction = action.admin(
  { name: "group.create", schema: z.object({ name, description }) },
  async (input, { user, t, ip, userAgent }) => {
    const g = await createGroup(input, { id: user.id, label: user.email }, { ip, userAgent });
    done();
    return { ok: true, message: t("groups.created", { name: g.name }) };
  },
);

export const updateGroupAction = action.admin(
  { name: "group.update", schema: z.object({ id: z.uuid(), name, description }) },
  async (input, { user, t, ip, userAgent }) => {
    const g = await updateGroup(input.id, input, { id: user.id, label: user.email }, { ip, userAgent });
    done();
    return { ok: true, message: t("groups.updated", { name: g.name }) };
  },
);

export const deleteGroupAction = action.admin(
  { name: "group.delete", schema: z.object({ id: z.uuid(), confirm: z.string().max(10).optional() }) },
  async (input, { user, ip, userAgent }) => {
    if (input.confirm !== "on") throw new UserError("device.confirmRequired");
    const g = await deleteGroup(input.id, { id: user.id, label: user.email }, { ip, userAgent });
    done();
    // The row (and its form) is gone: the list page says what was deleted.
    redirect(`/admin/groups?deleted=${encodeURIComponent(g.name)}`);
  },
);
