import { z } from "zod";
import nodemailer from "nodemailer";
import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { openString, seal } from "@/lib/crypto";
import { fieldsFrom, UserError } from "@/lib/errors";
import type { Prisma } from "@/lib/db/generated/client";
import { isPemCertificates } from "@/lib/pki/x509";

// Mail through the company's own SMTP relay (what Japanese companies usually have), with
// nodemailer. Configured in Settings (its own settings row, password sealed like the directory's
// bind password) or by SMTP_URL, which wins: smtps://… is TLS from the start, smtp://… must
// upgrade with STARTTLS, and smtp://…?starttls=off sends in clear (a relay inside the LAN).

const KEY = "smtp";
export const PASSWORD_CONTEXT = "smtp.password";
export const SECURITY = ["starttls", "tls", "none"] as const;
export type SmtpSecurity = (typeof SECURITY)[number];

export interface SmtpConfig {
  /** Null: SMTP is off. */
  host: string | null;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  passwordSealed: string | null;
  /** Extra trusted CA (PEM) for a relay with a company CA; the system store when null. */
  caPem: string | null;
}

export const DEFAULT_SMTP: SmtpConfig = { host: null, port: 587, security: "starttls", username: null, passwordSealed: null, caPem: null };

/** The connection actually used: the password open, and where it came from. */
export interface SmtpConnection {
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  password: string | null;
  caPem: string | null;
  source: "env" | "settings";
}

const HOST = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\d{1,3}(?:\.\d{1,3}){3}$|^\[[0-9A-Fa-f:.]+\]$/;

/** What the admin form sends; a blank password keeps the stored one, `clearPassword` removes it. */
export const smtpInput = z.object({
  host: z.string().trim().max(253).refine((v) => v === "" || HOST.test(v), "mail.smtp.hostInvalid"),
  port: z.number("mail.smtp.portInvalid").int("mail.smtp.portInvalid").min(1, "mail.smtp.portInvalid").max(65535, "mail.smtp.portInvalid"),
  security: z.enum(SECURITY, "mail.smtp.invalid"),
  username: z.string().trim().max(320),
  password: z.string().max(1000),
  clearPassword: z.boolean(),
  caPem: z.string().trim().max(100_000).refine((v) => v === "" || isPemCertificates(v), "mail.smtp.caInvalid"),
});
export type SmtpInput = z.input<typeof smtpInput>;

const stored = z.object({
  host: z.string().nullable(),
  port: z.number(),
  security: z.enum(SECURITY),
  username: z.string().nullable(),
  passwordSealed: z.string().nullable(),
  caPem: z.string().nullable(),
});

export async function getSmtpConfig(): Promise<SmtpConfig> {
  const row = await prisma().setting.findUnique({ where: { key: KEY } });
  const parsed = row ? stored.safeParse(row.value) : null;
  return parsed?.success ? parsed.data : { ...DEFAULT_SMTP };
}

/** SMTP_URL read as a connection; a malformed one is refused loudly rather than ignored. */
export function smtpFromUrl(raw: string): SmtpConnection {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError("mail.smtp.urlInvalid");
  }
  const tls = u.protocol === "smtps:";
  if (!tls && u.protocol !== "smtp:") throw new UserError("mail.smtp.urlInvalid");
  const host = u.hostname;
  if (!host || !HOST.test(host)) throw new UserError("mail.smtp.urlInvalid");
  const off = u.searchParams.get("starttls") === "off";
  return {
    host,
    port: u.port ? Number(u.port) : tls ? 465 : 587,
    security: tls ? "tls" : off ? "none" : "starttls",
    username: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
    caPem: null,
    source: "env",
  };
}

/** The SMTP connection in use: SMTP_URL, else the one saved in Settings; null when there is none. */
export async function smtpConnection(): Promise<SmtpConnection | null> {
  const env = process.env.SMTP_URL?.trim();
  if (env) return smtpFromUrl(env);
  const c = await getSmtpConfig();
  if (!c.host) return null;
  return {
    host: c.host, port: c.port, security: c.security, username: c.username,
    password: c.passwordSealed ? openString(c.passwordSealed, PASSWORD_CONTEXT) : null,
    caPem: c.caPem, source: "settings",
  };
}

/** Validates, seals the password, stores and audits (mail.smtp). Throws UserError naming the field. */
export async function saveSmtpConfig(input: SmtpInput, actor: Actor, ctx: { ip: string | null; userAgent: string | null }): Promise<SmtpConfig> {
  const parsed = smtpInput.safeParse(input);
  // Every field's problem at once, each shown beside its field.
  if (!parsed.success) throw fieldsFrom(parsed.error.issues, "mail.smtp.", "mail.smtp.invalid");
  const v = parsed.data;
  const current = await getSmtpConfig();
  const passwordSealed = v.clearPassword ? null : v.password ? seal(v.password, PASSWORD_CONTEXT) : current.passwordSealed;
  const config: SmtpConfig = {
    host: v.host || null,
    port: v.port,
    security: v.security,
    username: v.username || null,
    passwordSealed: v.host ? passwordSealed : null,
    caPem: v.caPem || null,
  };
  if (config.passwordSealed && !config.username) throw new UserError("mail.smtp.usernameRequired", { field: "username" });
  const json = config as unknown as Prisma.InputJsonValue;
  const { passwordSealed: _secret, caPem, ...visible } = config;
  await prisma().$transaction(async (tx) => {
    await tx.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: json }, update: { value: json } });
    await audit(
      { actor, action: "mail.smtp", target: { type: "setting", id: KEY, label: KEY }, details: { ...visible, caPem: Boolean(caPem), passwordChanged: Boolean(v.password) || v.clearPassword }, ...ctx },
      tx,
    );
  });
  return config;
}

/** Why an SMTP delivery failed, as `errors.mail.smtp.<reason>`. */
export type SmtpFailure = "unreachable" | "timeout" | "tls" | "authRefused" | "authRequired" | "recipientsRefused" | "rejected";

export type SmtpResult = { messageId: string } | { error: string; reason: SmtpFailure };

/** nodemailer's error codes (its errors.js) read as what the admin can act on. */
export function smtpFailure(e: unknown): SmtpFailure {
  const { code = "", message = "", responseCode } = e as { code?: string; message?: string; responseCode?: number };
  // 530: the relay wants a login before it takes the sender (RFC 4954).
  if (responseCode === 530 || /authentication required/i.test(message)) return "authRequired";
  switch (code) {
    case "EAUTH":
      return "authRefused";
    case "ENOAUTH":
      return "authRequired";
    case "ETLS":
    case "EREQUIRETLS":
      return "tls";
    case "ETIMEDOUT":
      return "timeout";
    case "EENVELOPE":
      return "recipientsRefused";
    case "ECONNECTION":
    case "EDNS":
      return "unreachable";
  }
  // A certificate the relay's chain does not satisfy surfaces as a socket error.
  if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) return "tls";
  if (code === "ESOCKET" || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET/.test(message)) return "unreachable";
  return "rejected";
}

export interface SmtpMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  /** Our row id: the Message-ID, so a relay's logs and ours name the same mail. */
  id: string;
}

/** Sends one mail through `c`; never throws. */
export async function sendSmtp(c: SmtpConnection, mail: SmtpMail): Promise<SmtpResult> {
  const transport = nodemailer.createTransport({
    host: c.host,
    port: c.port,
    secure: c.security === "tls",
    requireTLS: c.security === "starttls",
    ignoreTLS: c.security === "none",
    auth: c.username ? { user: c.username, pass: c.password ?? "" } : undefined,
    tls: { ...(c.caPem && { ca: c.caPem }), minVersion: "TLSv1.2" },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    const domain = /@([^>\s]+)>?$/.exec(mail.from)?.[1] ?? "mamori.invalid";
    const info = await transport.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: `<${mail.id}@${domain}>` });
    if (info.rejected.length) return { error: `refused: ${info.rejected.map(String).join(", ")}`, reason: "recipientsRefused" };
    return { messageId: info.messageId };
  } catch (e) {
    const err = e as { code?: string; response?: string; message?: string };
    return { error: [err.code, err.response ?? err.message].filter(Boolean).join(": ").slice(0, 2000), reason: smtpFailure(e) };
  } finally {
    transport.close();
  }
}
