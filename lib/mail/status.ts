import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { translator, type Locale } from "@/lib/i18n";
import { deliverMail, type MailTransportName } from "./index";
import { smtpConnection } from "./smtp";

// How mail leaves Mamori, for the setup checklist and the settings page: which transport, and
// whether an admin's test mail went out through that same transport since it was configured.

export type { MailTransportName };

export async function currentTransport(): Promise<{ transport: MailTransportName; host?: string; port?: number; source?: "env" | "settings"; broken?: boolean }> {
  try {
    const smtp = await smtpConnection();
    if (smtp) return { transport: "smtp", host: smtp.host, port: smtp.port, source: smtp.source };
  } catch {
    return { transport: "smtp", broken: true, source: "env" };
  }
  return { transport: process.env.RESEND_API_KEY ? "resend" : "outbox" };
}

/** A test only counts for the transport (and SMTP relay) it went through. */
const fingerprint = (t: Awaited<ReturnType<typeof currentTransport>>) => (t.transport === "smtp" ? `smtp:${t.host}:${t.port}` : t.transport);

export async function mailTransport(): Promise<{ transport: MailTransportName; lastTestOk: boolean }> {
  const current = await currentTransport();
  const test = await prisma().auditEvent.findFirst({ where: { action: "mail.test" }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { result: true, details: true } });
  const via = (test?.details as { via?: string } | null)?.via;
  return { transport: current.transport, lastTestOk: test?.result === "SUCCESS" && via === fingerprint(current) };
}

/**
 * Sends a test mail to `to` through the transport in use and audits it as mail.test (SUCCESS or
 * FAILURE with the reason). Throws a UserError saying what to fix when it did not go out.
 */
export async function sendTestMail(to: string, locale: Locale, actor: Actor, ctx: { ip: string | null; userAgent: string | null }): Promise<{ transport: MailTransportName }> {
  const t = translator(locale);
  const current = await currentTransport();
  const { message, transport, failure } = await deliverMail({ to: [to], subject: t("settings.testMail.subject"), text: t("settings.testMail.body", { transport: t(`settings.transports.${current.transport}`) }) });
  await audit({
    actor, action: "mail.test", result: failure ? "FAILURE" : "SUCCESS",
    target: { type: "mail", id: message.id, label: to },
    details: { via: fingerprint(current), transport, ...(failure && { reason: failure.reason, detail: failure.detail.slice(0, 500) }) },
    ...ctx,
  });
  if (failure) {
    if (failure.transport === "smtp") throw new UserError(`mail.smtp.${failure.reason}`, { host: failure.host ?? "", port: failure.port ?? "", detail: failure.detail.slice(0, 300) });
    throw new UserError("mail.resendFailed", { detail: failure.detail.slice(0, 300) });
  }
  return { transport };
}
