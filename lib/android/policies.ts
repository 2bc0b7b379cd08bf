import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import type { Prisma } from "@/lib/db/generated/client";
import { patchPolicy } from "./binding-client";
import { POLICY_UPDATE_MASK, readPolicySettings, toAmapiPolicy, type PolicySettings } from "./policy";
import { accessToken, configOrThrow } from "./service";

// Policies Mamori writes to Google: the enterprise's default one (the policy of the connection)
// and, optionally, one per user group (enterprises/x/policies/group-<id>). Settings are stored
// once Google has accepted them, so the form shows what devices get.

type Ctx = { ip: string | null; userAgent: string | null };

export const groupPolicyName = (enterpriseName: string, groupId: string) => `${enterpriseName}/policies/group-${groupId}`;

/** Sends `settings` with policies.patch and stores them; Google's refusal is audited, kept and thrown. */
export async function pushPolicy(groupId: string | null, settings: PolicySettings, actor: Actor, ctx: Ctx): Promise<string> {
  const row = await configOrThrow();
  let groupName: string | null = null;
  if (groupId) {
    const group = await prisma().userGroup.findUnique({ where: { id: groupId }, select: { name: true } });
    if (!group) throw new UserError("groups.notFound");
    groupName = group.name;
  }
  const name = groupId ? groupPolicyName(row.enterpriseName, groupId) : row.policyName;
  const target = { type: "android", id: name, label: groupName ? `${name} (${groupName})` : name };
  const stored = settings as unknown as Prisma.InputJsonValue;
  try {
    await patchPolicy(await accessToken(row), name, toAmapiPolicy(settings), POLICY_UPDATE_MASK);
  } catch (e) {
    if (!isUserError(e)) throw e;
    const lastError = `error:${JSON.stringify({ code: e.code, params: e.params })}`;
    // Kept for the page; a policy Google never accepted has no pushedAt, so no enrollment uses it.
    await prisma().androidPolicy.upsert({ where: { name }, create: { name, groupId, settings: stored, pushedAt: null, lastError }, update: { lastError } });
    await audit({ actor, action: "android.policy_update", result: "FAILURE", target, details: { policyName: name, groupId, code: e.code, params: e.params }, ...ctx });
    throw e;
  }
  await prisma().$transaction(async (tx) => {
    await tx.androidPolicy.upsert({
      where: { name },
      create: { name, groupId, settings: stored, pushedAt: new Date(), lastError: null },
      update: { groupId, settings: stored, pushedAt: new Date(), lastError: null },
    });
    await audit({ actor, action: "android.policy_update", target, details: { policyName: name, groupId, settings: { ...settings } }, ...ctx }, tx);
  });
  return name;
}

export interface PolicyView {
  name: string;
  groupId: string | null;
  groupName: string | null;
  settings: PolicySettings;
  pushedAt: Date | null;
  lastError: { code: string; params: Record<string, string | number> } | null;
}

/** The current enterprise's policies Mamori wrote: the default first, then groups by name. */
export async function androidPolicies(): Promise<{ defaultPolicy: PolicyView | null; groups: PolicyView[] }> {
  const row = await prisma().androidEnterprise.findUnique({ where: { id: 1 } });
  if (!row) return { defaultPolicy: null, groups: [] };
  const rows = await prisma().androidPolicy.findMany({ where: { name: { startsWith: `${row.enterpriseName}/policies/` } }, include: { group: { select: { name: true } } } });
  const view = (p: (typeof rows)[number]): PolicyView => ({
    name: p.name,
    groupId: p.groupId,
    groupName: p.group?.name ?? null,
    settings: readPolicySettings(p.settings),
    pushedAt: p.pushedAt,
    lastError: p.lastError ? parseError(p.lastError) : null,
  });
  const def = rows.find((p) => p.name === row.policyName && !p.groupId);
  return { defaultPolicy: def ? view(def) : null, groups: rows.filter((p) => p.groupId).map(view).sort((a, b) => (a.groupName ?? "").localeCompare(b.groupName ?? "")) };
}

function parseError(s: string) {
  try {
    return JSON.parse(s.slice("error:".length)) as { code: string; params: Record<string, string | number> };
  } catch {
    return { code: "unexpected", params: {} };
  }
}

/** A group goes back to the default policy for new enrollments (Google keeps the old policy for enrolled devices). */
export async function removeGroupPolicy(groupId: string, actor: Actor, ctx: Ctx): Promise<void> {
  const row = await configOrThrow();
  const name = groupPolicyName(row.enterpriseName, groupId);
  const deleted = await prisma().androidPolicy.deleteMany({ where: { name } });
  if (!deleted.count) throw new UserError("android.policyUnknown");
  await audit({ actor, action: "android.policy_remove", target: { type: "android", id: name, label: name }, details: { policyName: name, groupId }, ...ctx });
}

/** The policy a user's new device enrolls into: their group's own when Google has it, else the default. */
export async function policyForUser(enterpriseName: string, defaultPolicy: string, groupId: string | null): Promise<string> {
  if (!groupId) return defaultPolicy;
  const own = await prisma().androidPolicy.findFirst({ where: { name: groupPolicyName(enterpriseName, groupId), pushedAt: { not: null } }, select: { name: true } });
  return own?.name ?? defaultPolicy;
}
