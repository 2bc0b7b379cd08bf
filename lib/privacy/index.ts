import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { getSetting, saveSetting, type Settings } from "@/lib/settings";
import type { User } from "@/lib/db/generated/client";

// Privacy settings of the self-service portal (seed 000, プライバシー構成): whether end users may
// see location, wipe, retire or unlock their own devices. Global values live in the "privacy"
// setting; a group may override each one (group_privacy, null = as global). allowedActions is
// the one answer both the portal pages and the server actions use.

export const PRIVACY_KEYS = ["location", "wipe", "retire", "unlock"] as const;
export type PrivacyKey = (typeof PRIVACY_KEYS)[number];
export type Privacy = Settings["privacy"];
export type PrivacyOverride = { [K in PrivacyKey]: boolean | null };

/** What an end user may ask for on their own device in the portal. */
export const PORTAL_ACTIONS = ["checkIn", "lock", "unlock", "locate", "lostModeOff", "wipe", "retire"] as const;
export type PortalAction = (typeof PORTAL_ACTIONS)[number];

/** The privacy setting that governs each portal action; null: always offered. */
export const GOVERNED_BY: Record<PortalAction, PrivacyKey | null> = {
  checkIn: null,
  lock: null,
  unlock: "unlock",
  // Locating goes through lost mode; ending it belongs to the same permission.
  locate: "location",
  lostModeOff: "location",
  wipe: "wipe",
  retire: "retire",
};

/** Each key: the group's override when it has one, else the global value. */
export function resolvePrivacy(global: Privacy, override?: Partial<PrivacyOverride> | null): Privacy {
  const out = { ...global };
  for (const k of PRIVACY_KEYS) {
    const v = override?.[k];
    if (typeof v === "boolean") out[k] = v;
  }
  return out;
}

export function actionsFor(policy: Privacy): Record<PortalAction, boolean> {
  return Object.fromEntries(PORTAL_ACTIONS.map((a) => [a, GOVERNED_BY[a] === null || policy[GOVERNED_BY[a]!]])) as Record<PortalAction, boolean>;
}

export async function effectivePrivacy(user: Pick<User, "groupId">): Promise<Privacy> {
  const global = await getSetting("privacy");
  if (!user.groupId) return global;
  const override = await prisma().groupPrivacy.findUnique({ where: { groupId: user.groupId } });
  return resolvePrivacy(global, override);
}

/** The portal actions this user may use, after global and group privacy settings. */
export async function allowedActions(user: Pick<User, "groupId">): Promise<Record<PortalAction, boolean>> {
  return actionsFor(await effectivePrivacy(user));
}

type Ctx = { ip: string | null; userAgent: string | null };

export async function saveGlobalPrivacy(value: Privacy, actor: Actor, ctx: Ctx): Promise<Privacy> {
  return saveSetting("privacy", value, actor, ctx);
}

/** Stores a group's overrides (all null removes the row) and audits it. */
export async function saveGroupPrivacy(groupId: string, value: PrivacyOverride, actor: Actor, ctx: Ctx): Promise<void> {
  const group = await prisma().userGroup.findUnique({ where: { id: groupId }, select: { id: true, name: true } });
  if (!group) throw new UserError("groups.notFound");
  const data = Object.fromEntries(PRIVACY_KEYS.map((k) => [k, value[k]])) as PrivacyOverride;
  await prisma().$transaction(async (tx) => {
    if (PRIVACY_KEYS.every((k) => data[k] === null)) await tx.groupPrivacy.deleteMany({ where: { groupId } });
    else await tx.groupPrivacy.upsert({ where: { groupId }, create: { groupId, ...data }, update: data });
    await audit({ actor, action: "privacy.group.update", target: { type: "userGroup", id: group.id, label: group.name }, details: data, ...ctx }, tx);
  });
}

export async function groupOverrides(): Promise<Map<string, PrivacyOverride>> {
  const rows = await prisma().groupPrivacy.findMany();
  return new Map(rows.map((r) => [r.groupId, { location: r.location, wipe: r.wipe, retire: r.retire, unlock: r.unlock }]));
}
