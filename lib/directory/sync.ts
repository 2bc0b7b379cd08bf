import { z } from "zod";
import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import { normalizeEmail, normalizeUsername } from "@/lib/auth/login";
import { syncUserConfigurations } from "@/lib/configurations/service";
import { classify, searchEntries, withServiceBind, PAGE_SIZE, type DirectoryEntry } from "./client";
import { claimSync, finishSync, getDirectoryConfig, getSyncStatus, isConfigured, type SyncSummary } from "./config";
import { startJob, type Job } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";

// Import and sync: directory entries become users with source DIRECTORY, matched by username.
// Names, emails and groups follow the directory; users no longer found are disabled (never
// deleted: their devices and history stay) and re-enabled if they come back, but only when
// the sync itself disabled them. A LOCAL user holding the same email or username is never
// touched: the entry is reported as a conflict.

const SYSTEM: Actor = { id: null, label: "system" };
const CHUNK = 1000;
const SAMPLE = 20;
const email = z.email();

type Ctx = { ip: string | null; userAgent: string | null };
export type Trigger = "manual" | "scheduled";

/** Runs one sync now; throws UserError("directory.*") (also recorded as the last result). */
export async function syncDirectory(actor: Actor, ctx: Ctx, trigger: Trigger, now = new Date(), opts: { pageSize?: number } = {}): Promise<SyncSummary> {
  const config = await getDirectoryConfig();
  if (!isConfigured(config)) throw new UserError("directory.notConfigured");
  if (!(await claimSync(now, trigger))) throw new UserError("directory.syncRunning");
  try {
    const entries = await withServiceBind(config, async (client) => {
      const out: DirectoryEntry[] = [];
      for await (const e of searchEntries(client, config, config.filter, opts.pageSize ?? PAGE_SIZE)) out.push(e);
      return out;
    });
    const { summary, created, disabled, regrouped } = await apply(entries, now);
    // A new group or a disabled account changes which certificate profiles the user's devices carry.
    for (const id of regrouped) await syncUserConfigurations(id, actor, ctx);
    await finishSync(new Date(), { ok: true, ...summary });
    await audit({ actor, action: "directory.sync", target: { type: "directory", label: config.url }, details: { trigger, ...summary, createdUsers: created.slice(0, 50), disabledUsers: disabled.slice(0, 50) }, ...ctx });
    return summary;
  } catch (e) {
    const ue = isUserError(e) ? e : classify(e, "search", config);
    await finishSync(new Date(), { ok: false, error: ue.code, params: ue.params });
    await audit({ actor, action: "directory.sync", result: "FAILURE", target: { type: "directory", label: config.url }, details: { trigger, error: ue.code, ...ue.params }, ...ctx });
    if (!isUserError(e)) console.error("[directory] sync failed:", e);
    throw ue;
  }
}

/**
 * "Import now": queues a manual sync as a directory-sync job (the queue runs one at a time) and
 * returns at once. The sync itself is audited when it ends.
 */
export async function startDirectoryImport(actor: Actor, ctx: Ctx): Promise<Job> {
  if (!isConfigured(await getDirectoryConfig())) throw new UserError("directory.notConfigured");
  return startJob(JOB_KINDS.directorySync, actor, {}, { actor, ctx });
}

interface Wanted {
  username: string;
  email: string;
  name: string;
  group: string | null;
}

async function apply(entries: DirectoryEntry[], now: Date) {
  const summary: SyncSummary = { created: 0, updated: 0, disabled: 0, enabled: 0, unchanged: 0, conflicts: 0, skipped: 0, conflictSamples: [] };
  const conflict = (w: Wanted, reason: "localUser" | "duplicate") => {
    summary.conflicts++;
    if (summary.conflictSamples.length < SAMPLE) summary.conflictSamples.push({ username: w.username, email: w.email, reason });
  };

  // Normalized, one per username and per email (a second entry with either is a duplicate).
  const wanted: Wanted[] = [];
  const byUsername = new Set<string>();
  const byEmail = new Set<string>();
  for (const e of entries) {
    const w = { username: normalizeUsername(e.username).slice(0, 200), email: normalizeEmail(e.email), name: e.name.trim().slice(0, 200) || e.username, group: e.group };
    if (!w.username || !email.safeParse(w.email).success) {
      summary.skipped++;
      continue;
    }
    if (byUsername.has(w.username) || byEmail.has(w.email)) {
      conflict(w, "duplicate");
      byUsername.add(w.username);
      continue;
    }
    byUsername.add(w.username);
    byEmail.add(w.email);
    wanted.push(w);
  }

  const db = prisma();
  const directoryUsers = await db.user.findMany({ where: { source: "DIRECTORY" }, select: { id: true, username: true, email: true, displayName: true, disabled: true, directoryMissingAt: true, groupId: true } });
  if (wanted.length === 0 && byUsername.size === 0 && directoryUsers.some((u) => !u.disabled))
    // An empty answer is far likelier a wrong filter or base DN than everybody leaving.
    throw new UserError("directory.emptyResult");
  const dirByUsername = new Map(directoryUsers.filter((u) => u.username).map((u) => [u.username!, u]));

  // Who else holds these emails or usernames (LOCAL users, or directory users under another username).
  const holders = new Map<string, { id: string; source: string }>();
  const emails = wanted.map((w) => w.email);
  const names = wanted.map((w) => w.username);
  for (let i = 0; i < Math.max(emails.length, 1); i += CHUNK) {
    const rows = await db.user.findMany({
      where: { OR: [{ email: { in: emails.slice(i, i + CHUNK) } }, { username: { in: names.slice(i, i + CHUNK) } }] },
      select: { id: true, email: true, username: true, source: true },
    });
    for (const r of rows) {
      holders.set(`e:${r.email}`, r);
      if (r.username) holders.set(`u:${r.username}`, r);
    }
  }

  const groups = await groupIds(wanted.map((w) => w.group).filter((g): g is string => Boolean(g)));
  const toCreate: Wanted[] = [];
  const regrouped: string[] = [];
  for (const w of wanted) {
    const groupId = w.group ? (groups.get(w.group) ?? null) : null;
    const mine = dirByUsername.get(w.username);
    if (!mine) {
      if (holders.has(`e:${w.email}`) || holders.has(`u:${w.username}`)) {
        conflict(w, holders.get(`e:${w.email}`)?.source === "LOCAL" || holders.get(`u:${w.username}`)?.source === "LOCAL" ? "localUser" : "duplicate");
      } else toCreate.push(w);
      continue;
    }
    const emailHolder = holders.get(`e:${w.email}`);
    if (emailHolder && emailHolder.id !== mine.id) {
      conflict(w, emailHolder.source === "LOCAL" ? "localUser" : "duplicate");
      continue;
    }
    const reenable = mine.disabled && mine.directoryMissingAt !== null;
    if (reenable || (w.group !== null && mine.groupId !== groupId)) regrouped.push(mine.id);
    const changed = mine.email !== w.email || mine.displayName !== w.name || (w.group !== null && mine.groupId !== groupId);
    if (!changed && !reenable) {
      summary.unchanged++;
      continue;
    }
    await db.user.update({
      where: { id: mine.id },
      data: {
        email: w.email,
        displayName: w.name,
        ...(w.group !== null ? { groupId } : {}),
        ...(reenable ? { disabled: false, directoryMissingAt: null } : {}),
      },
    });
    if (changed) summary.updated++;
    if (reenable) summary.enabled++;
  }

  // New users in chunks; a row someone created meanwhile is skipped and counted as a conflict.
  const created: string[] = [];
  for (let i = 0; i < toCreate.length; i += CHUNK) {
    const chunk = toCreate.slice(i, i + CHUNK);
    const res = await db.user.createMany({
      data: chunk.map((w) => ({ email: w.email, username: w.username, displayName: w.name, role: "END_USER" as const, source: "DIRECTORY" as const, groupId: w.group ? (groups.get(w.group) ?? null) : null })),
      skipDuplicates: true,
    });
    summary.created += res.count;
    summary.conflicts += chunk.length - res.count;
    created.push(...chunk.map((w) => w.username));
  }

  // Directory users the directory no longer lists: disabled, their sessions ended.
  const gone = directoryUsers.filter((u) => !u.disabled && (!u.username || !byUsername.has(u.username)));
  for (let i = 0; i < gone.length; i += CHUNK) {
    const res = await db.user.updateMany({
      where: { id: { in: gone.slice(i, i + CHUNK).map((u) => u.id) }, disabled: false },
      data: { disabled: true, directoryMissingAt: now, sessionVersion: { increment: 1 } },
    });
    summary.disabled += res.count;
  }
  regrouped.push(...gone.map((u) => u.id));
  return { summary, created, disabled: gone.map((u) => u.username ?? u.email), regrouped };
}

/** Group names to ids, creating the groups the directory names that do not exist yet. */
async function groupIds(names: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return new Map();
  const db = prisma();
  await db.userGroup.createMany({ data: unique.map((name) => ({ name })), skipDuplicates: true });
  const rows = await db.userGroup.findMany({ where: { name: { in: unique } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** The directory-sync job's tick (every minute): syncs when enabled and one interval has passed since the last start. */
export async function runScheduledSync(now = new Date()): Promise<"ran" | "notDue" | "off" | "failed"> {
  const config = await getDirectoryConfig();
  if (!config.syncEnabled || !isConfigured(config)) return "off";
  const status = await getSyncStatus();
  const last = status.lastStartedAt ? new Date(status.lastStartedAt).getTime() : 0;
  if (now.getTime() - last < config.syncIntervalMinutes * 60_000) return "notDue";
  try {
    await syncDirectory(SYSTEM, { ip: null, userAgent: null }, "scheduled", now);
    return "ran";
  } catch (e) {
    // Already recorded as the last result and audited; a concurrent run is not a failure.
    if (isUserError(e)) return e.code === "directory.syncRunning" ? "notDue" : "failed";
    throw e;
  }
}
