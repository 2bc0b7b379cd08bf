import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";

// User groups (admin console): privacy settings and configurations target them. Membership is
// set on the users page (User.groupId); deleting a group leaves its users without a group.

export const GROUP_NAME_MAX = 100;
export const GROUP_DESCRIPTION_MAX = 500;

type Ctx = { ip: string | null; userAgent: string | null };

function cleanName(name: string): string {
  const n = name.normalize("NFKC").trim().replace(/\s+/g, " ");
  if (!n) throw new UserError("groups.nameRequired");
  if (n.length > GROUP_NAME_MAX) throw new UserError("groups.nameTooLong", { max: GROUP_NAME_MAX });
  return n;
}

function cleanDescription(d: string | undefined): string | null {
  const v = d?.trim() ?? "";
  if (v.length > GROUP_DESCRIPTION_MAX) throw new UserError("groups.descriptionTooLong", { max: GROUP_DESCRIPTION_MAX });
  return v || null;
}

/** Names are unique regardless of case, so "Sales" and "sales" are not two groups. */
async function assertNameFree(name: string, exceptId?: string) {
  const clash = await prisma().userGroup.findFirst({ where: { name: { equals: name, mode: "insensitive" }, ...(exceptId && { id: { not: exceptId } }) }, select: { id: true } });
  if (clash) throw new UserError("groups.nameTaken", { name });
}

/** Id and name of every group, for the selects that assign users or aim configurations. */
export function groupChoices() {
  return prisma().userGroup.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } });
}

export async function listGroups() {
  return prisma().userGroup.findMany({ orderBy: { name: "asc" }, include: { _count: { select: { users: true } } } });
}

export async function createGroup(input: { name: string; description?: string }, actor: Actor, ctx: Ctx) {
  const name = cleanName(input.name);
  const description = cleanDescription(input.description);
  await assertNameFree(name);
  const group = await prisma().userGroup.create({ data: { name, description } });
  await audit({ actor, action: "group.create", target: { type: "userGroup", id: group.id, label: name }, details: { description }, ...ctx });
  return group;
}

export async function updateGroup(id: string, input: { name: string; description?: string }, actor: Actor, ctx: Ctx) {
  const before = await prisma().userGroup.findUnique({ where: { id } });
  if (!before) throw new UserError("groups.notFound");
  const name = cleanName(input.name);
  const description = cleanDescription(input.description);
  await assertNameFree(name, id);
  const group = await prisma().userGroup.update({ where: { id }, data: { name, description } });
  await audit({ actor, action: "group.update", target: { type: "userGroup", id, label: name }, details: { from: { name: before.name, description: before.description }, to: { name, description } }, ...ctx });
  return group;
}

export async function deleteGroup(id: string, actor: Actor, ctx: Ctx) {
  const group = await prisma().userGroup.findUnique({ where: { id }, include: { _count: { select: { users: true } } } });
  if (!group) throw new UserError("groups.notFound");
  // A configuration aimed at this group would silently lose its target: retarget it first.
  const targeted = await prisma().configuration.findMany({ where: { groupId: id }, select: { name: true }, orderBy: { name: "asc" } });
  if (targeted.length) throw new UserError("groups.inUse", { configurations: targeted.map((c) => c.name).join(", ") });
  await prisma().userGroup.delete({ where: { id } });
  await audit({ actor, action: "group.delete", target: { type: "userGroup", id, label: group.name }, details: { members: group._count.users }, ...ctx });
  return group;
}
