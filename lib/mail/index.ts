import { randomUUID } from "node:crypto";
import { Resend } from "resend";
import { prisma, type PrismaClient } from "@/lib/db/client";
import type { MailMessage } from "@/lib/db/generated/client";
import { getSetting } from "@/lib/settings";
import { seal } from "@/lib/crypto";
import { MAIL_HTML, MAIL_TEXT, openMail } from "./open";
import { sendSmtp, smtpConnection, type SmtpConnection, type SmtpFailure } from "./smtp";

export { openMail };

// Every mail is stored in mail_messages, then leaves through the first transport configured:
// SMTP (SMTP_URL, or the relay saved in Settings: lib/mail/smtp.ts), else Resend with
// RESEND_API_KEY (RESEND_BASE_URL, read by the resend package itself, points it elsewhere, e.g. a
// test fake); with neither it stays in the development outbox that admins can read.

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

type Db = Pick<PrismaClient, "mailMessage" | "setting">;

export type MailTransportName = "smtp" | "resend" | "outbox";

/** Why a mail did not go out: `errors.mail.smtp.<reason>`, or the provider's answer for Resend. */
export interface MailFailure {
  transport: MailTransportName;
  reason: SmtpFailure | "resend" | "config";
  detail: string;
  host?: string;
  port?: number;
}

/** Sends (or keeps in the outbox) one mail. A provider failure gives a FAILED row, never a throw. */
export async function sendMail(mail: OutgoingMail, db: Db = prisma()): Promise<MailMessage> {
  return (await deliverMail(mail, db)).message;
}

/** sendMail, also telling which transport carried it and why it failed. */
export async function deliverMail(mail: OutgoingMail, db: Db = prisma()): Promise<{ message: MailMessage; transport: MailTransportName; failure?: MailFailure }> {
  if (mail.to.length === 0) throw new Error("sendMail: no recipients");
  const { from } = await getSetting("mail", db);
  // The row id doubles as Resend's idempotency key and the SMTP Message-ID: a retry cannot send twice.
  const id = randomUUID();
  const data = { id, to: mail.to, from, subject: mail.subject, text: seal(mail.text, MAIL_TEXT), html: mail.html ? seal(mail.html, MAIL_HTML) : null };
  const failed = async (failure: MailFailure) => ({
    message: openMail(await db.mailMessage.create({ data: { ...data, status: "FAILED", error: (failure.transport === "resend" ? failure.detail : `${failure.reason}: ${failure.detail}`).slice(0, 2000) } })),
    transport: failure.transport,
    failure,
  });
  let smtp: SmtpConnection | null;
  try {
    smtp = await smtpConnection();
  } catch {
    return failed({ transport: "smtp", reason: "config", detail: "SMTP_URL is not an smtp:// or smtps:// URL" });
  }
  if (smtp) {
    const r = await sendSmtp(smtp, { from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, id });
    if ("error" in r) return failed({ transport: "smtp", reason: r.reason, detail: r.error, host: smtp.host, port: smtp.port });
    return { message: openMail(await db.mailMessage.create({ data: { ...data, status: "SENT", providerId: r.messageId } })), transport: "smtp" };
  }
  const key = process.env.RESEND_API_KEY;
  if (!key) return { message: openMail(await db.mailMessage.create({ data: { ...data, status: "OUTBOX" } })), transport: "outbox" };

  const result = await deliver(key, { from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html }, id);
  if (!("providerId" in result)) return failed({ transport: "resend", reason: "resend", detail: result.error });
  return { message: openMail(await db.mailMessage.create({ data: { ...data, status: "SENT", providerId: result.providerId } })), transport: "resend" };
}

async function deliver(
  key: string,
  payload: { from: string; to: string[]; subject: string; text: string; html?: string },
  idempotencyKey: string,
): Promise<{ providerId: string } | { error: string }> {
  try {
    const { data, error } = await new Resend(key).emails.send(payload, { idempotencyKey });
    if (error) return { error: `${error.statusCode ?? "-"} ${error.name}: ${error.message}` };
    if (!data?.id) return { error: "Resend answered without a message id" };
    return { providerId: data.id };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Newest first, for the admin's mail log / development outbox. */
export async function listMail(opts: { take?: number; skip?: number } = {}, db: Db = prisma()) {
  const take = Math.min(Math.max(Math.trunc(opts.take ?? 50), 1), 200);
  // A page number from the URL may be anything ("1e309"): past the last page is just empty.
  const skip = Math.min(Math.max(Math.trunc(opts.skip ?? 0) || 0, 0), 1_000_000);
  const [messages, total] = await Promise.all([
    db.mailMessage.findMany({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take, skip }),
    db.mailMessage.count(),
  ]);
  return { messages: messages.map(openMail), total };
}
