import { prisma } from "@/lib/db/client";

// How mail leaves Mamori, for the setup checklist: a provider, or only the development outbox;
// and whether an admin's test mail went out through it.

export type MailTransportName = "outbox" | "resend";

export async function mailTransport(): Promise<{ transport: MailTransportName; lastTestOk: boolean }> {
  const transport: MailTransportName = process.env.RESEND_API_KEY ? "resend" : "outbox";
  const test = await prisma().auditEvent.findFirst({ where: { action: "mail.test" }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { result: true } });
  return { transport, lastTestOk: test?.result === "SUCCESS" };
}
