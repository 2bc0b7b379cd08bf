import { z } from "zod";
import { prisma } from "@/lib/db/client";
import { withoutNul } from "@/lib/db/text";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { normalizeEmail } from "@/lib/auth/login";
import { syncUserConfigurations } from "@/lib/configurations/service";
import type { Prisma } from "@/lib/db/generated/client";
import type { Role } from "@/lib/db/generated/enums";

// Local users, managed from the admin users page. Devices outlive their owner: deleting a
// user leaves the device records ownerless (devices.owner_id ON DELETE SET NULL).

type Ctx = { ip: string | null; userAgent: string | null };

export const MAX_NEW_USERS = 200;
export const PAGE_SIZE = 50;

const emailSchema = z.email();

export interface NewUser {
  displayName: string;
  email: string;
}

/**
 * Reads pasted lines, one user each: "Name, email", "Name <email>", a tab between them, or
 * just the email (the name is then its local part). Blank lines are skipped.
 */
export function parseUserLines(text: string): NewUser[] {
  const out: NewUser[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const angle = /^(.*?)\s*<([^<>]+)>$/.exec(line);
    let [name, email] = angle ? [angle[1]!, angle[2]!] : (() => {
      const parts = line.split(/[,\t;]/).map((p) => p.trim()).filter(Boolean);
      const at = parts.findIndex((p) => p.includes("@"));
      return at < 0 ? ["", ""] : [parts.filter((_, j) => j !== at).join(" "), parts[at]!];
    })();
    email = normalizeEmail(email ?? "");
    if (!emailSchema.safeParse(email).success || email.length > 320) throw new UserError("users.lineInvalid", { line: i + 1, text: line.slice(0, 80) });
    name = (name ?? "").replace(/^"|"$/g, "").trim() || email.split("@")[0]!;
    if (name.length > 200) throw new UserError("users.lineInvalid", { line: i + 1, text: line.slice(0, 80) });
    if (seen.has(email)) throw new UserError("users.lineDuplicate", { line: i + 1, email });
    seen.add(email);
    out.push({ displayName: name, email });
  });
  if (!out.length) throw new UserError("users.noLines");
  if (out.length > MAX_NEW_USERS) throw new UserError("users.tooMany", { max: MAX_NEW_USERS });
  return out;
}

async function checkGroup(groupId: string | null | undefined) {
  if (groupId && !(await prisma().userGroup.findUnique({ where: { id: groupId } }))) throw new UserError("users.groupNotFound");
}

/** Creates every user or none; an address already in use names itself. */
export async function createUsers(input: { users: NewUser[]; role: Role; groupId?: string | null; locale?: string | null }, actor: Actor, ctx: Ctx) {
  await checkGroup(input.groupId);
  const taken = await prisma().user.findFirst({ where: { email: { in: input.users.map((u) => u.email) } }, select: { email: true } });
  if (taken) throw new UserError("users.emailTaken", { email: taken.email });
  try {
    return await prisma().$transaction(async (tx) => {
      const created = [];
      for (const u of input.users) {
        const user = await tx.user.create({ data: { email: u.email, displayName: u.displayName, role: input.role, groupId: input.groupId || null, locale: input.locale || null } });
        await audit({ actor, action: "user.create", target: { type: "user", id: user.id, label: user.email }, details: { role: user.role, groupId: user.groupId }, ...ctx }, tx);
        created.push(user);
      }
      return created;
    });
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") throw new UserError("users.emailTaken", { email: "" });
    throw e;
  }
}

export interface UserEdit {
  displayName: string;
  email: string;
  role: Role;
  groupId: string | null;
  locale: string | null;
}

export async function updateUser(id: string, edit: UserEdit, actor: Actor, ctx: Ctx) {
  const user = await prisma().user.findUnique({ where: { id } });
  if (!user) throw new UserError("users.notFound");
  const email = normalizeEmail(edit.email);
  if (!emailSchema.safeParse(email).success) throw new UserError("users.emailInvalid", { email });
  if (id === actor.id && edit.role !== user.role) throw new UserError("users.notYourself");
  if (user.role === "ADMIN" && edit.role !== "ADMIN") await assertAnotherAdmin(id);
  await checkGroup(edit.groupId);
  if (email !== user.email && (await prisma().user.findUnique({ where: { email } }))) throw new UserError("users.emailTaken", { email });
  const data = { displayName: edit.displayName.trim(), email, role: edit.role, groupId: edit.groupId || null, locale: edit.locale || null };
  const changed = Object.fromEntries(Object.entries(data).filter(([k, v]) => (user as Record<string, unknown>)[k] !== v));
  // A role change ends the user's sessions: the cookie carries the role it was issued with.
  const updated = await prisma().user.update({ where: { id }, data: { ...data, ...("role" in changed && { sessionVersion: { increment: 1 } }) } });
  await audit({ actor, action: "user.update", target: { type: "user", id, label: updated.email }, details: { changed: Object.keys(changed), ...(changed.email !== undefined && { previousEmail: user.email }) }, ...ctx });
  // Group and role decide which certificate configurations reach the user's devices.
  if ("groupId" in changed || "role" in changed) await syncUserConfigurations(id, actor, ctx);
  return updated;
}

async function assertAnotherAdmin(exceptId: string) {
  const others = await prisma().user.count({ where: { role: "ADMIN", disabled: false, id: { not: exceptId } } });
  if (!others) throw new UserError("users.lastAdmin");
}

/** Disabling ends the user's sessions at once (sessionVersion) and stops reminders. */
export async function setDisabled(id: string, disabled: boolean, actor: Actor, ctx: Ctx) {
  const user = await prisma().user.findUnique({ where: { id } });
  if (!user) throw new UserError("users.notFound");
  if (id === actor.id) throw new UserError("users.notYourself");
  if (disabled && user.role === "ADMIN") await assertAnotherAdmin(id);
  await prisma().user.update({ where: { id }, data: { disabled, ...(disabled && { sessionVersion: { increment: 1 } }) } });
  await audit({ actor, action: disabled ? "user.disable" : "user.enable", target: { type: "user", id, label: user.email }, ...ctx });
  // A disabled user's certificate profiles come off their devices, and go back on when enabled.
  await syncUserConfigurations(id, actor, ctx);
}

/** Deletes the user after the admin typed their email; their devices stay, ownerless. */
export async function deleteUser(id: string, confirm: string, actor: Actor, ctx: Ctx) {
  const user = await prisma().user.findUnique({ where: { id }, include: { _count: { select: { devices: true } } } });
  if (!user) throw new UserError("users.notFound");
  if (id === actor.id) throw new UserError("users.notYourself");
  if (normalizeEmail(confirm) !== user.email) throw new UserError("users.confirmMismatch", { email: user.email });
  if (user.role === "ADMIN") await assertAnotherAdmin(id);
  await prisma().$transaction(async (tx) => {
    await tx.user.delete({ where: { id } });
    await audit({ actor, action: "user.delete", target: { type: "user", id, label: user.email }, details: { name: user.displayName, role: user.role, devicesKept: user._count.devices }, ...ctx }, tx);
  });
  return { devicesKept: user._count.devices };
}

/** The users page: substring search over name, email and username; newest last within role. */
export async function listUsers(opts: { q?: string; page?: number; status?: "active" | "disabled" | "" }) {
  const q = opts.q && withoutNul(opts.q).trim().slice(0, 200);
  const where: Prisma.UserWhereInput = {
    ...(q && { OR: [{ email: { contains: q, mode: "insensitive" } }, { displayName: { contains: q, mode: "insensitive" } }, { username: { contains: q, mode: "insensitive" } }] }),
    ...(opts.status === "active" && { disabled: false }),
    ...(opts.status === "disabled" && { disabled: true }),
  };
  const page = Math.min(Math.max(1, Math.trunc(opts.page ?? 1) || 1), 100_000);
  const [rows, total] = await Promise.all([
    prisma().user.findMany({ where, orderBy: [{ role: "asc" }, { email: "asc" }], take: PAGE_SIZE, skip: (page - 1) * PAGE_SIZE, include: { group: true } }),
    prisma().user.count({ where }),
  ]);
  // Devices per user for this page's users only (the owner_id index). Prisma's `_count`
  // include groups the whole devices table first: 100 ms a view at 100,000 devices.
  const counts = rows.length
    ? await prisma().device.groupBy({ by: ["ownerId"], where: { ownerId: { in: rows.map((u) => u.id) } }, _count: true })
    : [];
  const byOwner = new Map(counts.map((c) => [c.ownerId, c._count]));
  const users = rows.map((u) => ({ ...u, _count: { devices: byOwner.get(u.id) ?? 0 } }));
  return { users, total, page, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}
