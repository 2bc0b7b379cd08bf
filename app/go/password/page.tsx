import { view } from "@/lib/auth/guard";
import { redirect } from "next/navigation";
import { getT } from "@/lib/i18n/server";
import { readGoTicket } from "@/lib/invitations/tickets";
import { AuthCard } from "@/components/auth-card";
import { goCookie } from "../cookie";
import { GoSetPasswordForm } from "../go-forms";

export const dynamic = "force-dynamic";

/** After a PIN, a user without a password chooses one (they sign in to the portal with it). */
export default async function GoPasswordPage() {
  await view.public(); // open to anyone: the rule the authorization test reads
  const ticket = await readGoTicket(await goCookie());
  if (!ticket) redirect("/go?error=go.ticketExpired");
  if (!ticket.needsPassword) redirect("/go/device");
  const t = await getT();
  return (
    <AuthCard title={t("go.setPasswordTitle")} intro={t("go.setPasswordIntro", { email: ticket.user.email })}>
      <GoSetPasswordForm email={ticket.user.email} />
    </AuthCard>
  );
}
