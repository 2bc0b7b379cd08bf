"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { UserError } from "@/lib/errors";
import { resolvePublicUrl, saveSetting } from "@/lib/settings";
import { inviteUsers, startInvitations } from "@/lib/invitations/service";
import { deliverableBase } from "@/lib/setup-checklist";
import { createUsers, deleteUser, parseUserLines, setDisabled, updateUser } from "@/lib/users/service";
import type { User } from "@/lib/db/generated/client";

// The users page's actions: each through action.admin (admin only, zod); lib/users and
// lib/invitations check, change and audit.

const actor = (u: User) => ({ id: u.id, label: u.email });
const role = z.enum(["END_USER", "ADMIN"], { error: "validation.invalid" });
const groupId = z.union([z.literal(""), z.uuid()]).default("");
const locale = z.enum(["", "ja", "en"]).default("");
const on = z.literal("on").optional();
/** The address invitation links carry; refused (and audited) when no real phone could follow it. */
const baseUrl = async (what: string, u: User, ctx: { ip: string | null; userAgent: string | null }) =>
  deliverableBase(await resolvePublicUrl((await headers()).get("host")), what, actor(u), ctx);

export const createUsersAction = action.admin(
  { name: "user.create", schema: z.object({ lines: z.string().max(50_000, "validation.tooLong"), role, groupId, locale, invite: on, pin: on }) },
  async (input, { user, t, ip, userAgent }) => {
    // Checked first: users are not created when their invitations could not go out.
    const base = input.invite ? await baseUrl("invitation.send", user, { ip, userAgent }) : null;
    const created = await createUsers({ users: parseUserLines(input.lines), role: input.role, groupId: input.groupId || null, locale: input.locale || null }, actor(user), { ip, userAgent });
    const job = base && created.length ? await startInvitations(created.map((u) => u.id), { pin: Boolean(input.pin), baseUrl: base }, actor(user), { ip, userAgent }) : null;
    revalidatePath("/admin/users");
    return { ok: true, message: t(job ? "usersAdmin.createdInviting" : "usersAdmin.created", { count: created.length }), jobId: job?.id };
  },
);

/** Invitations to the ticked users of the list (checkboxes named u:<id>). */
export const inviteSelectedAction = action.admin(
  { name: "invitation.send", schema: z.object({ pin: on }).catchall(z.string().max(10)) },
  async (input, { user, t, ip, userAgent }) => {
    const ids = Object.keys(input).filter((k) => k.startsWith("u:")).map((k) => k.slice(2));
    if (!ids.length) throw new UserError("users.noneSelected");
    if (!ids.every((id) => z.uuid().safeParse(id).success)) throw new UserError("users.notFound");
    const job = await startInvitations(ids, { pin: Boolean(input.pin), baseUrl: await baseUrl("invitation.send", user, { ip, userAgent }) }, actor(user), { ip, userAgent });
    revalidatePath("/admin/users");
    return { ok: true, message: t("usersAdmin.inviting", { count: job.total ?? ids.length }), jobId: job.id };
  },
);

const id = z.uuid();

export const inviteUserAction = action.admin(
  { name: "invitation.send", schema: z.object({ id, pin: on }) },
  async (input, { user, t, ip, userAgent }) => {
    await inviteUsers([input.id], { pin: Boolean(input.pin), baseUrl: await baseUrl("invitation.send", user, { ip, userAgent }) }, actor(user), { ip, userAgent });
    revalidatePath(`/admin/users/${input.id}`);
    return { ok: true, message: t("usersAdmin.invited", { count: 1 }) };
  },
);

export const updateUserAction = action.admin(
  {
    name: "user.update",
    schema: z.object({
      id,
      displayName: z.string().trim().min(1, "validation.required").max(200, "validation.tooLong"),
      email: z.string().trim().min(1, "validation.required").max(320, "validation.tooLong"),
      role,
      groupId,
      locale,
    }),
  },
  async (input, { user, t, ip, userAgent }) => {
    await updateUser(input.id, { displayName: input.displayName, email: input.email, role: input.role, groupId: input.groupId || null, locale: input.locale || null }, actor(user), { ip, userAgent });
    revalidatePath(`/admin/users/${input.id}`);
    return { ok: true, message: t("usersAdmin.saved") };
  },
);

export const setDisabledAction = action.admin(
  { name: "user.disable", schema: z.object({ id, disabled: z.enum(["true", "false"]) }) },
  async (input, { user, t, ip, userAgent }) => {
    const disabled = input.disabled === "true";
    await setDisabled(input.id, disabled, actor(user), { ip, userAgent });
    revalidatePath(`/admin/users/${input.id}`);
    return { ok: true, message: t(disabled ? "usersAdmin.disabledDone" : "usersAdmin.enabledDone") };
  },
);

export const deleteUserAction = action.admin(
  { name: "user.delete", schema: z.object({ id, confirm: z.string().max(320).default("") }) },
  async (input, { user, ip, userAgent }) => {
    const r = await deleteUser(input.id, input.confirm, actor(user), { ip, userAgent });
    revalidatePath("/admin/users");
    redirect(`/admin/users?deleted=${r.devicesKept}`);
  },
);

// Numbers stay as typed when they are not whole numbers, so the error can quote them.
const whole = (s: string): number => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : (s.trim() as unknown as number));

export const saveInvitationSettings = action.admin(
  {
    name: "settings.update",
    schema: z.object({ validityDays: z.string().max(20), pinByDefault: on, pinValidityHours: z.string().max(20), remindersEnabled: on, reminderIntervalDays: z.string().max(20) }),
  },
  async (input, { user, t, ip, userAgent }) => {
    await saveSetting(
      "invitations",
      {
        validityDays: whole(input.validityDays),
        pinByDefault: input.pinByDefault === "on",
        pinValidityHours: whole(input.pinValidityHours),
        remindersEnabled: input.remindersEnabled === "on",
        reminderIntervalDays: whole(input.reminderIntervalDays),
      },
      actor(user),
      { ip, userAgent },
    );
    revalidatePath("/admin/users/settings");
    return { ok: true, message: t("usersAdmin.settingsSaved") };
  },
);
