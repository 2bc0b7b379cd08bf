import { randomUUID } from "node:crypto";
import { Resend } from "resend";
import { prisma, type PrismaClient } from "@/lib/db/client";
import type { MailMessage } from "@/lib/db/generated/client";
import { getSetting } from "@/lib/settings";
import { seal } from "@/lib/crypto";
import { MAIL_HTML, MAIL_TEXT, openMail } from "./open";

export { openMail };

// Every mail is stored in mail_messages. With RESEND_API_KEY it is sent through Resend
// (RESEND_BASE_URL, read by the resend package itself, points it elsewhere, e.g. a test fake);
// without a key it stays in the development outbox that admins can read.

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

type Db = Pick<PrismaClient, "mailMessage" | "setting">;

/** Sends (or keeps in the outbox) one mail. A provider failure gives a FAILED row, never a throw. */
export async function sendMail(mail: OutgoingMail, db: Db = prisma()): Promise<MailMessage> {
  if (mail.to.length === 0) throw new Error("sendMail: no recipients");
  const { from } = await getSetting("mail", db);
  // The row id doubles as Resend's idempotency key: a retried request cannot send twice.
  const id = randomUUID();
  const data = { id, to: mail.to, from, subject: mail.subject, text: seal(mail.text, MAIL_TEXT), html: mail.html ? seal(mail.html, MAIL_HTML) : null };
  const key = process.env.RESEND_API_KEY;
  if (!key) return openMail(await db.mailMessage.create({ data: { ...data, status: "OUTBOX" } }));

  const result = await deliver(key, { from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html }, id);
  return openMail(await db.mailMessage.create({
    data: "providerId" in result
      ? { ...data, status: "SENT", providerId: result.providerId }
      : { ...data, status: "FAILED", error: result.error.slice(0, 2000) },
  }));
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
