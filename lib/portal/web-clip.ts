import { readFileSync } from "node:fs";
import path from "node:path";
import { prisma } from "@/lib/db/client";
import type { Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { checkSetting, configuredPublicUrl, getSetting, saveSetting, type Settings } from "@/lib/settings";
import { buildWebClipProfile } from "@/lib/mdm/profile";
import { installProfile, removeProfile } from "@/lib/mdm/commands";
import { bulkEnqueue, enqueueCommand } from "@/lib/mdm/enqueue";
import { startJob, type Job, type Progress } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";

// The self-service portal as a home-screen icon on iPhones and iPads (the portal manual in
// seed 000 recommends a Web Clip for it): an admin switches it on under Settings, a job
// installs the profile on every managed iOS/iPadOS device, each new one gets it after
// enrollment, a new label or public address installs it again, and switching it off removes
// it. One fixed identifier, so a new label or address replaces the icon instead of adding a
// second one.

export const WEB_CLIP_PROFILE = "jp.mamori.portal.webclip";
/** Devices per bulk enqueue: each batch is one audit event and one push-devices job. */
export const WEB_CLIP_BATCH = 5000;
const SYSTEM: Actor = { id: null, label: "system" };
type Ctx = { ip: string | null; userAgent: string | null };
export type WebClipAction = "install" | "remove";

let icon: Buffer | undefined;
function portalIcon(): Buffer {
  // 180 px, drawn by scripts/icons.ts (Apple's home-screen size).
  icon ??= readFileSync(path.join(process.cwd(), "public", "apple-touch-icon.png"));
  return icon;
}

/**
 * The portal's address as the icon opens it: the configured public address + /my. Null when
 * no public address is set (a guess such as localhost would give devices a dead icon).
 */
export async function webClipUrl(): Promise<string | null> {
  const base = await configuredPublicUrl();
  return base ? `${base.replace(/\/+$/, "")}/my` : null;
}

/** The profile as devices get it. Throws settings.webClipNoPublicUrl when no public address is set. */
export async function webClipProfile(setting?: Settings["webClip"], portalUrl?: string | null): Promise<string> {
  const s = setting ?? (await getSetting("webClip"));
  const url = portalUrl === undefined ? await webClipUrl() : portalUrl;
  if (!url) throw new UserError("settings.webClipNoPublicUrl", { field: "enabled" });
  const { xml } = buildWebClipProfile({
    identifier: WEB_CLIP_PROFILE,
    displayName: s.label,
    organization: process.env.MAMORI_ORGANIZATION || "Mamori",
    label: s.label,
    url,
    icon: portalIcon(),
  });
  return xml;
}

function startRollout(action: WebClipAction, actor: Actor, ctx: Ctx, reason: "setting" | "publicUrl"): Promise<Job> {
  return startJob(JOB_KINDS.webClip, actor, { action, reason }, { action, actor, ctx });
}

/**
 * Saves the setting (validated and audited as settings.update by saveSetting) and, when what
 * devices should have changed, starts the job that installs or removes the Web Clip. Returns
 * that job, if any. Switching it on without a public address is refused (nothing saved).
 */
export async function saveWebClip(input: { enabled: boolean; label: string }, actor: Actor, ctx: Ctx): Promise<Job | null> {
  const before = await getSetting("webClip");
  // Checked before saving: the label's own error first, then the missing address; nothing saved on either.
  if (checkSetting("webClip", input).enabled && !(await webClipUrl())) throw new UserError("settings.webClipNoPublicUrl", { field: "enabled" });
  const after = await saveSetting("webClip", input, actor, ctx);
  if (!before.enabled && !after.enabled) return null;
  if (before.enabled && after.enabled && before.label === after.label) return null;
  return startRollout(after.enabled ? "install" : "remove", actor, ctx, "setting");
}

/**
 * After the public address changed (Settings, general): with the Web Clip on, install it again
 * so every icon opens the new address (same identifier: it replaces the old one). Pass the
 * address in use before the change. Returns the job, if any.
 */
export async function webClipAfterPublicUrlChange(urlBefore: string | null, actor: Actor, ctx: Ctx): Promise<Job | null> {
  const [s, url] = [await getSetting("webClip"), await webClipUrl()];
  if (!s.enabled || !url || url === urlBefore) return null;
  return startRollout("install", actor, ctx, "publicUrl");
}

/** Managed iPhones and iPads: not Macs, not Android, not retired, wiped or still enrolling. */
const TARGETS = { platform: "IOS" as const, status: { in: ["ACTIVE" as const, "INACTIVE" as const] } };

/**
 * The job: every managed iOS/iPadOS device, in id-ordered batches through bulkEnqueue (one
 * audit event "webClip.rollout" and one push-devices job per batch), gets InstallProfile with
 * the current label and address, or RemoveProfile by the fixed identifier.
 */
export async function rolloutWebClip(action: WebClipAction, actor: Actor, ctx: Ctx, p: Progress): Promise<Record<string, number>> {
  await p.setTotal(await prisma().device.count({ where: TARGETS }));
  // bulkEnqueue adds `jobId`: the push-devices job of the batch.
  let details: Record<string, unknown> = { action, rolloutJobId: p.jobId };
  let built;
  if (action === "install") {
    const [s, url] = [await getSetting("webClip"), await webClipUrl()];
    built = installProfile("IOS", { payload: Buffer.from(await webClipProfile(s, url), "utf8") });
    details = { ...details, label: s.label, url };
  } else {
    built = removeProfile("IOS", { identifier: WEB_CLIP_PROFILE });
  }
  let after: string | undefined;
  let queued = 0;
  let skipped = 0;
  for (;;) {
    const batch = await prisma().device.findMany({ where: { ...TARGETS, ...(after && { id: { gt: after } }) }, orderBy: { id: "asc" }, take: WEB_CLIP_BATCH, select: { id: true } });
    if (!batch.length) break;
    after = batch.at(-1)!.id;
    const ids = batch.map((d) => d.id);
    const r = await bulkEnqueue(ids, { IOS: [built] }, { actor, ...ctx, action: "webClip.rollout", details });
    queued += r.deviceIds.length;
    // Retired or wiped between the count and the batch.
    skipped += ids.length - r.deviceIds.length;
    await p.add(ids.length, ids.length - r.deviceIds.length);
  }
  return { [action === "install" ? "installed" : "removed"]: queued, skipped };
}

/** After an iPhone or iPad enrolls: the Web Clip, when switched on (and a public address is set). */
export async function webClipForNewDevice(deviceId: string): Promise<boolean> {
  const s = await getSetting("webClip");
  if (!s.enabled) return false;
  const url = await webClipUrl();
  if (!url) return false;
  await enqueueCommand(deviceId, installProfile("IOS", { payload: Buffer.from(await webClipProfile(s, url), "utf8") }), { actor: SYSTEM, push: false });
  return true;
}
