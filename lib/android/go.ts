import { UserError } from "@/lib/errors";
import { qrSvg } from "@/lib/invitations/qr";
import { readGoTicket } from "@/lib/invitations/tickets";
import { androidConfigured, createAndroidEnrollment } from "./service";

type Ctx = { ip: string | null; userAgent: string | null };

export interface GoAndroidEnrollment {
  /** https://enterprise.google.com/android/enroll?et=… : opens enrollment on this phone. */
  url: string;
  /** For "another device": the QR code Android's setup wizard scans (AMAPI's qrCode JSON). */
  qrSvg: string | null;
  expiresAt: string | null;
}

/** The Android button on /go: a one-time enrollment token for the /go ticket's user. */
export async function androidEnrollmentForTicket(secret: string | undefined | null, mode: "link" | "qr", ctx: Ctx, now = new Date()): Promise<GoAndroidEnrollment> {
  const ticket = await readGoTicket(secret, now);
  if (!ticket) throw new UserError("go.ticketExpired");
  if (ticket.needsPassword) throw new UserError("go.setPasswordFirst");
  if (!(await androidConfigured())) throw new UserError("android.notConfigured");
  const token = await createAndroidEnrollment(ticket.userId, { id: ticket.userId, label: ticket.user.email }, ctx);
  return { url: token.url, qrSvg: mode === "qr" && token.qrCode ? await qrSvg(token.qrCode) : null, expiresAt: token.expiresAt?.toISOString() ?? null };
}
