import { z } from "zod";
import { prisma, type PrismaClient } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
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

const SCHEMAS = { notifications, mail, devices } as const;

export type SettingName = keyof typeof SCHEMAS;
export type Settings = { [K in SettingName]: z.output<(typeof SCHEMAS)[K]> };
export type SettingInput<K extends SettingName> = z.input<(typeof SCHEMAS)[K]>;

export const DEFAULTS: Settings = {
  notifications: { recipients: [], thresholds: [60, 30, 14, 7, 1] },
  mail: { from: DEFAULT_FROM },
  devices: { inactiveAfterDays: 14 },
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
      params.value = String(value ?? "");
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

/** Validates, stores and audits a setting; throws UserError("settings.*") on bad input. */
export async function saveSetting<K extends SettingName>(
  name: K,
  value: SettingInput<K>,
  actor: Actor,
  ctx: { ip: string | null; userAgent: string | null },
): Promise<Settings[K]> {
  if (!isName(name)) throw new UserError("settings.invalid", { field: String(name) });
  const parsed = SCHEMAS[name].safeParse(value);
  if (!parsed.success) throw toUserError(name, value, parsed.error);
  const data = parsed.data as Settings[K];
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
