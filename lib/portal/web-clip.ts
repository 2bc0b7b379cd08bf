import { readFileSync } from "node:fs";
import path from "node:path";
import { prisma } from "@/lib/db/client";
import type { Actor } from "@/lib/audit";
import { getSetting, resolvePublicUrl, saveSetting, type Settings } from "@/lib/settings";
import { buildWebClipProfile } from "@/lib/mdm/profile";
import { installProfile, removeProfile } from "@/lib/mdm/commands";
import { enqueueCommand, insertCommands } from "@/lib/mdm/enqueue";
import { pushDevices } from "@/lib/apns/push-service";
import { startJob, type Job, type Progress } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";

// The self-service portal as a home-screen icon on iPhones and iPads (the portal manual in
// seed 000 recommends a Web Clip for it): an admin switches it on under Settings, a job
// installs the profile on every managed iOS/iPadOS device, each new one gets it after
// enrollment, and switching it off removes it. One fixed identifier, so a new label or
// address replaces the icon instead of adding a second one.

export const WEB_CLIP_PROFILE = "jp.mamori.portal.webclip";
const BATCH = 2000;
const SYSTEM: Actor = { id: null, label: "system" };
type Ctx = { ip: string | null; userAgent: string | null };

let icon: Buffer | undefined;
function portalIcon(): Buffer {
  icon ??= readFileSync(path.join(process.cwd(), "public", "apple-touch-icon.png"));
  return icon;
}

/** The profile as devices get it, for the portal at the public address. */
export async function webClipProfile(setting?: Settings["webClip"]): Promise<string> {
  const s = setting ?? (await getSetting("webClip"));
  const { xml } = buildWebClipProfile({
    identifier: WEB_CLIP_PROFILE,
    displayName: s.label,
    organization: process.env.MAMORI_ORGANIZATION || "Mamori",
    label: s.label,
    url: `${await resolvePublicUrl()}/my`,
    icon: portalIcon(),
  });
  return xml;
}

/**
 * Saves the setting (validated and audited by saveSetting) and, when what devices should have
 * changed, starts the job that installs or removes the Web Clip. Returns that job, if any.
 */
export async function saveWebClip(input: { enabled: boolean; label: string }, actor: Actor, ctx: Ctx): Promise<Job | null> {
  const before = await getSetting("webClip");
  const after = await saveSetting("webClip", input, actor, ctx);
  if (!before.enabled && !after.enabled) return null;
  if (before.enabled && after.enabled && before.label === after.label) return null;
  const action = after.enabled ? "install" : "remove";
  return startJob(JOB_KINDS.webClip, actor, { action }, { action, actor, ctx });
}

/** The job: every managed iOS/iPadOS device, in id-ordered batches, gets the command and a push. */
export async function rolloutWebClip(action: "install" | "remove", actor: Actor, p: Progress): Promise<{ devices: number }> {
  const where = { platform: "IOS" as const, status: { in: ["ACTIVE" as const, "INACTIVE" as const] } };
  await p.setTotal(await prisma().device.count({ where }));
  const built = action === "install" ? installProfile("IOS", { payload: Buffer.from(await webClipProfile(), "utf8") }) : removeProfile("IOS", { identifier: WEB_CLIP_PROFILE });
  let after: string | undefined;
  let devices = 0;
  for (;;) {
    const batch = await prisma().device.findMany({ where: { ...where, ...(after && { id: { gt: after } }) }, orderBy: { id: "asc" }, take: BATCH, select: { id: true } });
    if (!batch.length) break;
    after = batch.at(-1)!.id;
    const ids = batch.map((d) => d.id);
    const r = await insertCommands(ids, { IOS: [built] }, { actor });
    await pushDevices(r.deviceIds);
    devices += r.deviceIds.length;
    await p.add(ids.length, ids.length - r.deviceIds.length);
  }
  return { devices };
}

/** After an iPhone or iPad enrolls: the Web Clip, when switched on. */
export async function webClipForNewDevice(deviceId: string): Promise<boolean> {
  const s = await getSetting("webClip");
  if (!s.enabled) return false;
  await enqueueCommand(deviceId, installProfile("IOS", { payload: Buffer.from(await webClipProfile(s), "utf8") }), { actor: SYSTEM, push: false });
  return true;
}
