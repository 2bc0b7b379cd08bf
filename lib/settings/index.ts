import { z } from "zod";
import { prisma, type PrismaClient } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { publicUrl } from "@/lib/config";
import type { Prisma } from "@/lib/db/generated/client";

// Typed settings in the `settings` table (key = setting name, value = JSON). Validated on
// write (with errors the admin can act on) and again on read, so a hand-edited row can never
// hand the rest of the code a shape it does not expect.

export const MAX_RECIPIENTS = 20;
export const MAX_THRESHOLDS = 10;
export const MAX_THRESHOLD_DAYS = 365;
export const DEFAULT_FROM = "Mamori <mamori@localhost>";

// Looser than z.email(): a sender on an internal single-label domain (the default
// "mamori@localhost") must be storable; the mail provider decides what it will send from.
const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const NAMED = /^([^<>"\r\n\t]*?)\s*<([^<>\s]+)>$/;

/** True for "addr@host" and "Display Name <addr@host>". */
export function isSenderAddress(value: string): boolean {
  const m = NAMED.exec(value);
  const addr = m ? m[2]! : value;
  return value.length <= 320 && ADDRESS.test(addr);
}

const notifications = z.object({
  recipients: z
    .array(z.string().trim().toLowerCase().pipe(z.email({ error: "settings.recipientInvalid" })), {
      error: "settings.invalid",
    })
    .max(MAX_RECIPIENTS, { error: "settings.tooManyRecipients" })
    .refine((a) => new Set(a).size === a.length, { error: "settings.recipientDuplicate" }),
  thresholds: z
    .array(
      z
        .number({ error: "settings.thresholdInvalid" })
        .int({ error: "settings.thresholdInvalid" })
        .min(1, { error: "settings.thresholdInvalid" })
        .max(MAX_THRESHOLD_DAYS, { error: "settings.thresholdInvalid" }),
      { error: "settings.invalid" },
    )
    .max(MAX_THRESHOLDS, { error: "settings.tooManyThresholds" })
    .refine((a) => new Set(a).size === a.length, { error: "settings.thresholdDuplicate" })
    // Stored most distant first, whatever order the form sent them in.
    .transform((a) => [...a].sort((x, y) => y - x)),
});

const mail = z.object({
  from: z
    .string({ error: "settings.invalid" })
    .trim()
    .refine(isSenderAddress, { error: "settings.fromInvalid" }),
});

const devices = z.object({
  inactiveAfterDays: z
    .number({ error: "settings.inactiveDaysInvalid" })
    .int({ error: "settings.inactiveDaysInvalid" })
    .min(1, { error: "settings.inactiveDaysInvalid" })
    .max(365, { error: "settings.inactiveDaysInvalid" }),
});

export const MIN_COLLECTION_HOURS = 1;
export const MAX_COLLECTION_HOURS = 168;

// Automatic information collection: DeviceInformation and SecurityInfo for every active
// device once per interval, spread over it (lib/devices/collection.ts).
const collection = z.object({
  enabled: z.boolean({ error: "settings.invalid" }),
  intervalHours: z
    .number({ error: "settings.collectionIntervalInvalid" })
    .int({ error: "settings.collectionIntervalInvalid" })
    .min(MIN_COLLECTION_HOURS, { error: "settings.collectionIntervalInvalid" })
    .max(MAX_COLLECTION_HOURS, { error: "settings.collectionIntervalInvalid" }),
});

export const MAX_LICENSES = 1_000_000;

// Contracted device licenses (seed 002, 機器ライセンス 使用数/契約数); null: no limit.
const licenses = z.object({
  devices: z
    .number({ error: "settings.licenseCountInvalid" })
    .int({ error: "settings.licenseCountInvalid" })
    .min(1, { error: "settings.licenseCountInvalid" })
    .max(MAX_LICENSES, { error: "settings.licenseCountInvalid" })
    .nullable(),
});

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The public address as stored: origin only (no path, query, credentials), no trailing slash.
 * Devices accept only https; plain http is kept for a local trial on localhost.
 */
const publicAddress = z
  .string({ error: "settings.invalid" })
  .trim()
  .max(2000, { error: "settings.publicUrlInvalid" })
  .superRefine((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return void ctx.addIssue({ code: "custom", message: "settings.publicUrlInvalid" });
    }
    const bare = !url.username && !url.password && !url.search && !url.hash && url.pathname === "/" && !/[?#]$/.test(v);
    if (!bare || !/^https?:$/.test(url.protocol) || !url.hostname) return void ctx.addIssue({ code: "custom", message: "settings.publicUrlInvalid" });
    if (url.protocol === "http:" && !LOOPBACK.has(url.hostname)) ctx.addIssue({ code: "custom", message: "settings.publicUrlNotHttps" });
  })
  .transform((v) => new URL(v).origin);

const general = z.object({
  publicUrl: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? null : v), publicAddress.nullable()),
});

const days = (max: number) =>
  z.number({ error: "settings.invitationDaysInvalid" }).int({ error: "settings.invitationDaysInvalid" }).min(1, { error: "settings.invitationDaysInvalid" }).max(max, { error: "settings.invitationDaysInvalid" });

// Invitations to enroll (lib/invitations): how long the link and the PIN last, whether new
// invitations carry a PIN, and the reminder mails until the user enrolls.
const invitations = z.object({
  validityDays: days(90),
  pinByDefault: z.boolean({ error: "settings.invalid" }),
  pinValidityHours: z
    .number({ error: "settings.invitationHoursInvalid" })
    .int({ error: "settings.invitationHoursInvalid" })
    .min(1, { error: "settings.invitationHoursInvalid" })
    .max(24 * 90, { error: "settings.invitationHoursInvalid" }),
  remindersEnabled: z.boolean({ error: "settings.invalid" }),
  reminderIntervalDays: days(30),
});

// Self-service portal privacy (seed 000, プライバシー構成): what end users may do to their own
// devices, globally; groups may override each (lib/privacy).
const privacy = z.object({
  location: z.boolean({ error: "settings.invalid" }),
  wipe: z.boolean({ error: "settings.invalid" }),
  retire: z.boolean({ error: "settings.invalid" }),
  unlock: z.boolean({ error: "settings.invalid" }),
});

/** Days each kind of record is kept (lib/retention prunes what is older): [min, max]. */
export const RETENTION_BOUNDS = {
  commandDays: [7, 3650],
  auditDays: [30, 3650],
  ticketDays: [1, 365],
  rateLimitDays: [1, 30],
  mailDays: [7, 3650],
} as const;

const keepDays = ([min, max]: readonly [number, number]) =>
  z.number({ error: "settings.retentionDaysInvalid" }).int({ error: "settings.retentionDaysInvalid" }).min(min, { error: "settings.retentionDaysInvalid" }).max(max, { error: "settings.retentionDaysInvalid" });

// How long finished commands, audit events, spent or expired tickets, rate-limit counters and
// mails are kept. Pending commands are never pruned, whatever their age.
const retention = z.object(
  Object.fromEntries(Object.entries(RETENTION_BOUNDS).map(([k, b]) => [k, keepDays(b)])) as { [K in keyof typeof RETENTION_BOUNDS]: ReturnType<typeof keepDays> },
);

const blankToNull = (v: unknown) => (typeof v === "string" && v.trim() === "" ? null : v);

// Pub/Sub push notifications from the Android Management API (lib/android/notifications.ts):
// the audience of the push subscription's OIDC token and its service account. No audience: the
// endpoint refuses everything. The email is required with it: an audience is no secret, and
// anyone's push subscription can ask Google for a token with it.
const androidPubsub = z
  .object({
    audience: z.preprocess(
      blankToNull,
      z.string({ error: "settings.pubsubAudienceInvalid" }).trim().max(500, { error: "settings.pubsubAudienceInvalid" }).regex(/^[\x21-\x7e]+$/, { error: "settings.pubsubAudienceInvalid" }).nullable(),
    ),
    serviceAccountEmail: z.preprocess(blankToNull, z.string({ error: "settings.pubsubEmailInvalid" }).trim().toLowerCase().pipe(z.email({ error: "settings.pubsubEmailInvalid" })).nullable()),
  })
  .superRefine((v, ctx) => {
    if (v.audience && !v.serviceAccountEmail) ctx.addIssue({ code: "custom", path: ["serviceAccountEmail"], message: "settings.pubsubEmailRequired" });
  });

// The self-service portal as a Web Clip on iPhones and iPads (lib/portal/web-clip.ts).
export const WEB_CLIP_LABEL_MAX = 30;
const webClip = z.object({
  enabled: z.boolean({ error: "settings.invalid" }),
  label: z
    .string({ error: "settings.webClipLabelInvalid" })
    .trim()
    .min(1, { error: "settings.webClipLabelInvalid" })
    .max(WEB_CLIP_LABEL_MAX, { error: "settings.webClipLabelInvalid" })
    .regex(/^[^\u0000-\u001f\u007f]+$/, { error: "settings.webClipLabelInvalid" }),
});

const SCHEMAS = { notifications, mail, devices, collection, licenses, general, invitations, privacy, retention, androidPubsub, webClip } as const;

export type SettingName = keyof typeof SCHEMAS;
export type Settings = { [K in SettingName]: z.output<(typeof SCHEMAS)[K]> };
export type SettingInput<K extends SettingName> = z.input<(typeof SCHEMAS)[K]>;

export const DEFAULTS: Settings = {
  notifications: { recipients: [], thresholds: [60, 30, 14, 7, 1] },
  mail: { from: DEFAULT_FROM },
  devices: { inactiveAfterDays: 14 },
  collection: { enabled: true, intervalHours: 24 },
  licenses: { devices: null },
  general: { publicUrl: null },
  invitations: { validityDays: 14, pinByDefault: true, pinValidityHours: 72, remindersEnabled: true, reminderIntervalDays: 3 },
  // Location is personal data: off until an admin allows it.
  privacy: { location: false, wipe: true, retire: true, unlock: true },
  retention: { commandDays: 90, auditDays: 365, ticketDays: 30, rateLimitDays: 1, mailDays: 90 },
  androidPubsub: { audience: null, serviceAccountEmail: null },
  webClip: { enabled: false, label: "Mamori" },
};

function isName(name: string): name is SettingName {
  return Object.hasOwn(SCHEMAS, name);
}

type Db = Pick<PrismaClient, "setting">;

/** The stored value, or the default when unset or (logged) no longer valid. */
export async function getSetting<K extends SettingName>(name: K, db: Db = prisma()): Promise<Settings[K]> {
  const row = await db.setting.findUnique({ where: { key: name } });
  if (!row) return structuredClone(DEFAULTS[name]);
  const parsed = SCHEMAS[name].safeParse(row.value);
  if (parsed.success) return parsed.data as Settings[K];
  console.warn(`[settings] stored "${name}" is invalid, using defaults: ${parsed.error.issues[0]?.message}`);
  return structuredClone(DEFAULTS[name]);
}

/** Turns the first zod issue into a UserError naming the field and, where useful, the bad value. */
function toUserError(name: SettingName, input: unknown, error: z.ZodError): UserError {
  const issue = error.issues[0];
  const [field, index] = issue?.path ?? [];
  const code = issue?.message.startsWith("settings.") ? issue.message : "settings.invalid";
  const params: Record<string, string | number> = { field: String(field ?? name) };
  const list = (input as Record<string, unknown> | null)?.[String(field)];
  const value = typeof index === "number" && Array.isArray(list) ? list[index] : list;
  switch (code) {
    case "settings.recipientInvalid":
      params.address = String(value ?? "");
      break;
    case "settings.thresholdInvalid":
      params.value = String(value ?? "");
      params.max = MAX_THRESHOLD_DAYS;
      break;
    case "settings.recipientDuplicate":
    case "settings.thresholdDuplicate":
      params.value = firstDuplicate(Array.isArray(list) ? list : [], field === "recipients");
      break;
    case "settings.tooManyRecipients":
      params.max = MAX_RECIPIENTS;
      break;
    case "settings.tooManyThresholds":
      params.max = MAX_THRESHOLDS;
      break;
    case "settings.fromInvalid":
    case "settings.pubsubAudienceInvalid":
    case "settings.pubsubEmailInvalid":
    case "settings.publicUrlInvalid":
    case "settings.publicUrlNotHttps":
      params.value = String(value ?? "");
      break;
    case "settings.collectionIntervalInvalid":
      params.value = String(value ?? "");
      params.min = MIN_COLLECTION_HOURS;
      params.max = MAX_COLLECTION_HOURS;
      break;
    case "settings.invitationDaysInvalid":
    case "settings.invitationHoursInvalid":
      params.value = String(value ?? "");
      break;
    case "settings.retentionDaysInvalid": {
      const [min, max] = RETENTION_BOUNDS[field as keyof typeof RETENTION_BOUNDS] ?? [1, 3650];
      Object.assign(params, { value: String(value ?? ""), min, max });
      break;
    }
    case "settings.licenseCountInvalid":
      params.value = String(value ?? "");
      params.max = MAX_LICENSES;
      break;
  }
  return new UserError(code, params);
}

function firstDuplicate(list: unknown[], emails: boolean): string {
  const seen = new Set<string>();
  for (const v of list) {
    const k = emails ? String(v).trim().toLowerCase() : String(v);
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return "";
}

/** The setting as it would be stored, without storing it; throws UserError("settings.*") on bad input. */
export function checkSetting<K extends SettingName>(name: K, value: SettingInput<K>): Settings[K] {
  if (!isName(name)) throw new UserError("settings.invalid", { field: String(name) });
  const parsed = SCHEMAS[name].safeParse(value);
  if (!parsed.success) throw toUserError(name, value, parsed.error);
  return parsed.data as Settings[K];
}

/** Validates, stores and audits a setting; throws UserError("settings.*") on bad input. */
export async function saveSetting<K extends SettingName>(
  name: K,
  value: SettingInput<K>,
  actor: Actor,
  ctx: { ip: string | null; userAgent: string | null },
): Promise<Settings[K]> {
  const data = checkSetting(name, value);
  const json = data as unknown as Prisma.InputJsonValue;
  await prisma().$transaction(async (tx) => {
    await tx.setting.upsert({ where: { key: name }, create: { key: name, value: json }, update: { value: json } });
    await audit(
      { actor, action: "settings.update", target: { type: "setting", id: name, label: name }, details: { name, value: data }, ...ctx },
      tx,
    );
  });
  return data;
}

/**
 * The address devices and mails use to reach Mamori (no trailing slash): MAMORI_PUBLIC_URL
 * when set (the environment wins), else the one saved under Settings, else http://<Host>.
 */
export async function resolvePublicUrl(fallbackHost?: string | null, db: Db = prisma()): Promise<string> {
  return (await configuredPublicUrl(db)) ?? publicUrl(fallbackHost);
}

/** MAMORI_PUBLIC_URL or the address saved under Settings; null when neither is set (no guess). */
export async function configuredPublicUrl(db: Db = prisma()): Promise<string | null> {
  if (process.env.MAMORI_PUBLIC_URL?.trim()) return publicUrl();
  return (await getSetting("general", db)).publicUrl;
}

/** A loopback address (localhost, 127.0.0.1, ::1) reaches nobody from a mail in production. */
export function mailableUrl(url: string): boolean {
  if (process.env.NODE_ENV !== "production") return true;
  try {
    return !LOOPBACK.has(new URL(url).hostname);
  } catch {
    return false;
  }
}
