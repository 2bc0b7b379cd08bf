import { z } from "zod";
import { FilterParser } from "ldapts";
import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { seal, openString } from "@/lib/crypto";
import { UserError } from "@/lib/errors";
import type { Prisma } from "@/lib/db/generated/client";
import { isPemCertificates } from "@/lib/pki/x509";

// The directory connection lives in the settings table under its own keys (not through
// lib/settings, whose rows are plain JSON): the bind password is sealed with lib/crypto and
// never leaves this module except to the LDAP client.

const KEY = "directory";
const STATUS_KEY = "directory.status";
const PASSWORD_CONTEXT = "directory.bindPassword";

export const MIN_SYNC_MINUTES = 5;
export const MAX_SYNC_MINUTES = 7 * 24 * 60;

export interface DirectoryConfig {
  url: string;
  /** Upgrade an ldap:// connection with StartTLS before binding. */
  startTls: boolean;
  /** Extra trusted CA (PEM) for ldaps:// and StartTLS; the system store when null. */
  caPem: string | null;
  bindDn: string;
  bindPasswordSealed: string | null;
  baseDn: string;
  filter: string;
  nameAttribute: string;
  emailAttribute: string;
  usernameAttribute: string;
  /** Attribute whose value names the user's group (a DN's first RDN value is used); none when null. */
  groupAttribute: string | null;
  syncEnabled: boolean;
  syncIntervalMinutes: number;
}

export const DEFAULT_CONFIG: DirectoryConfig = {
  url: "",
  startTls: false,
  caPem: null,
  bindDn: "",
  bindPasswordSealed: null,
  baseDn: "",
  filter: "(objectClass=inetOrgPerson)",
  nameAttribute: "displayName",
  emailAttribute: "mail",
  usernameAttribute: "uid",
  groupAttribute: null,
  syncEnabled: false,
  syncIntervalMinutes: 60,
};

/** The name used when the name attribute is empty: common name, then the username. */
export const FALLBACK_NAME_ATTRIBUTE = "cn";

const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]{0,63}|\d+(?:\.\d+)+)$/;

function ldapUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return /^ldaps?:$/.test(u.protocol) && Boolean(u.hostname) && !u.username && !u.password && (u.pathname === "" || u.pathname === "/") && !u.search && !u.hash;
  } catch {
    return false;
  }
}

function balanced(f: string): boolean {
  // Literal parentheses in values are escaped (\28, \29), so raw ones must pair up.
  let depth = 0;
  for (const ch of f) {
    if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

function filterOk(f: string): boolean {
  if (!f.startsWith("(") || !f.endsWith(")") || !balanced(f)) return false;
  try {
    FilterParser.parseString(f);
    return true;
  } catch {
    return false;
  }
}

const dn = (code: string) => z.string().trim().min(1, code).max(1000, code).refine((v) => /^[^=,]+=[^,]*/.test(v), code);
const attribute = z.string().trim().refine((v) => ATTRIBUTE.test(v), "directory.attributeInvalid");

/** What the admin form sends; `bindPassword` blank keeps the stored one. */
export const configInput = z
  .object({
    url: z.string().trim().max(500).refine(ldapUrl, "directory.urlInvalid"),
    startTls: z.boolean(),
    caPem: z.string().trim().max(100_000).refine((v) => v === "" || isPemCertificates(v), "directory.caInvalid"),
    bindDn: dn("directory.bindDnInvalid"),
    bindPassword: z.string().max(1000),
    baseDn: dn("directory.baseDnInvalid"),
    filter: z.string().trim().max(2000).refine(filterOk, "directory.filterInvalid"),
    nameAttribute: attribute,
    emailAttribute: attribute,
    usernameAttribute: attribute,
    groupAttribute: z.string().trim().refine((v) => v === "" || ATTRIBUTE.test(v), "directory.attributeInvalid"),
    syncEnabled: z.boolean(),
    syncIntervalMinutes: z.number("directory.intervalInvalid").int("directory.intervalInvalid").min(MIN_SYNC_MINUTES, "directory.intervalInvalid").max(MAX_SYNC_MINUTES, "directory.intervalInvalid"),
  })
  .refine((c) => !(c.startTls && c.url.startsWith("ldaps:")), { message: "directory.startTlsWithLdaps", path: ["startTls"] });

export type ConfigInput = z.input<typeof configInput>;

const stored = z.object({
  url: z.string(),
  startTls: z.boolean(),
  caPem: z.string().nullable(),
  bindDn: z.string(),
  bindPasswordSealed: z.string().nullable(),
  baseDn: z.string(),
  filter: z.string(),
  nameAttribute: z.string(),
  emailAttribute: z.string(),
  usernameAttribute: z.string(),
  groupAttribute: z.string().nullable(),
  syncEnabled: z.boolean(),
  syncIntervalMinutes: z.number(),
});

export async function getDirectoryConfig(): Promise<DirectoryConfig> {
  const row = await prisma().setting.findUnique({ where: { key: KEY } });
  const parsed = row ? stored.safeParse(row.value) : null;
  return parsed?.success ? parsed.data : { ...DEFAULT_CONFIG };
}

/** True once a URL, bind DN, password and base DN are saved. */
export function isConfigured(c: DirectoryConfig): boolean {
  return Boolean(c.url && c.bindDn && c.bindPasswordSealed && c.baseDn);
}

export function bindPassword(c: DirectoryConfig): string {
  if (!c.bindPasswordSealed) throw new UserError("directory.notConfigured");
  return openString(c.bindPasswordSealed, PASSWORD_CONTEXT);
}

/** Validates, seals the password, stores and audits (directory.settings). Throws UserError. */
export async function saveDirectoryConfig(input: ConfigInput, actor: Actor, ctx: { ip: string | null; userAgent: string | null }): Promise<DirectoryConfig> {
  const parsed = configInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const code = issue?.message.startsWith("directory.") ? issue.message : "directory.invalid";
    throw new UserError(code, { field: String(issue?.path[0] ?? "") });
  }
  const v = parsed.data;
  const current = await getDirectoryConfig();
  const bindPasswordSealed = v.bindPassword ? seal(v.bindPassword, PASSWORD_CONTEXT) : current.bindPasswordSealed;
  if (!bindPasswordSealed) throw new UserError("directory.passwordRequired");
  const config: DirectoryConfig = {
    url: v.url.replace(/\/$/, ""),
    startTls: v.startTls,
    caPem: v.caPem || null,
    bindDn: v.bindDn,
    bindPasswordSealed,
    baseDn: v.baseDn,
    filter: v.filter,
    nameAttribute: v.nameAttribute,
    emailAttribute: v.emailAttribute,
    usernameAttribute: v.usernameAttribute,
    groupAttribute: v.groupAttribute || null,
    syncEnabled: v.syncEnabled,
    syncIntervalMinutes: v.syncIntervalMinutes,
  };
  const json = config as unknown as Prisma.InputJsonValue;
  const { bindPasswordSealed: _secret, caPem, ...visible } = config;
  await prisma().$transaction(async (tx) => {
    await tx.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: json }, update: { value: json } });
    await audit(
      { actor, action: "directory.settings", target: { type: "setting", id: KEY, label: KEY }, details: { ...visible, caPem: Boolean(caPem), passwordChanged: Boolean(v.bindPassword) }, ...ctx },
      tx,
    );
  });
  return config;
}

export interface SyncSummary {
  created: number;
  updated: number;
  disabled: number;
  enabled: number;
  unchanged: number;
  conflicts: number;
  skipped: number;
  /** First few conflicts, for the admin: the directory username and the reason. */
  conflictSamples: { username: string; email: string; reason: "localUser" | "duplicate" }[];
}

export interface SyncStatus {
  /** While a sync runs: when it started (a claim; stale after SYNC_STALE_MS). */
  runningSince: string | null;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastTrigger: "manual" | "scheduled" | null;
  lastResult: ({ ok: true } & SyncSummary) | { ok: false; error: string; params: Record<string, string | number> } | null;
}

export const EMPTY_STATUS: SyncStatus = { runningSince: null, lastStartedAt: null, lastFinishedAt: null, lastTrigger: null, lastResult: null };

export async function getSyncStatus(): Promise<SyncStatus> {
  const row = await prisma().setting.findUnique({ where: { key: STATUS_KEY } });
  return row ? { ...EMPTY_STATUS, ...(row.value as object) } : { ...EMPTY_STATUS };
}

export const SYNC_STALE_MS = 30 * 60_000;

/**
 * Claims the right to sync (one at a time across instances): true when this caller may run.
 * A claim older than SYNC_STALE_MS (a crashed instance) is taken over.
 */
export async function claimSync(now: Date, trigger: "manual" | "scheduled"): Promise<boolean> {
  const init = { ...EMPTY_STATUS } as unknown as Prisma.InputJsonValue;
  await prisma().setting.upsert({ where: { key: STATUS_KEY }, create: { key: STATUS_KEY, value: init }, update: {} });
  const stale = new Date(now.getTime() - SYNC_STALE_MS).toISOString();
  const patch = JSON.stringify({ runningSince: now.toISOString(), lastStartedAt: now.toISOString(), lastTrigger: trigger });
  const n = await prisma().$executeRaw`
    UPDATE settings SET value = value || ${patch}::jsonb, updated_at = now()
    WHERE key = ${STATUS_KEY}
      AND (value->>'runningSince' IS NULL OR (value->>'runningSince')::timestamptz < ${stale}::timestamptz)`;
  return n === 1;
}

/** Ends a claim with its result. */
export async function finishSync(now: Date, result: SyncStatus["lastResult"]): Promise<void> {
  const patch = JSON.stringify({ runningSince: null, lastFinishedAt: now.toISOString(), lastResult: result });
  await prisma().$executeRaw`UPDATE settings SET value = value || ${patch}::jsonb, updated_at = now() WHERE key = ${STATUS_KEY}`;
}
