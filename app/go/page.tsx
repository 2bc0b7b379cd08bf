import Link from "next/link";
import { redirect } from "next/navigation";
import { getT } from "@/lib/i18n/server";
import { requestContext } from "@/lib/request";
import { openInvitation } from "@/lib/invitations/service";
import { readGoTicket } from "@/lib/invitations/tickets";
import { AuthCard } from "@/components/auth-card";
import { FormAlert } from "@/components/field";
import { goCookie } from "./cookie";
import { GoContinueForm, GoPasswordForm, GoPinForm } from "./go-forms";
import { view } from "@/lib/auth/guard";

export const dynamic = "force-dynamic";

const KNOWN_ERRORS = new Set(["go.qrUsed", "go.qrExpired", "go.qrInvalid", "go.ticketExpired"]);

/** /go: the short address in every invitation. Anonymous, phone first. */
export default async function GoPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const t = await getT();
  const invite = params.invite ? await openInvitation(params.invite.slice(0, 200), await requestContext()) : null;
  if (!params.invite && !params.error && (await readGoTicket(await goCookie()))) redirect("/go/device");
  const email = invite?.email ?? params.email?.slice(0, 320);
  const notice =
    params.invite && !invite ? t("go.inviteUnknown")
    : invite?.state === "expired" ? t("go.inviteExpired")
    : invite?.state === "revoked" ? t("go.inviteReplaced")
    : invite?.state === "enrolled" ? t("go.inviteEnrolled")
    : undefined;
  // IT enrolled the device first (kitting): the PIN still sets the password.
  const info = invite?.deviceEnrolled && invite.needsPassword && (invite.state === "sent" || invite.state === "opened") ? t("go.inviteKitted") : undefined;
  const signedIn = await view.public();
  const error = params.error && KNOWN_ERRORS.has(params.error) ? t(`errors.${params.error}`) : undefined;
  return (
    <AuthCard title={t("go.title")} intro={t("go.intro")}>
      <div className="flex flex-col gap-6">
        {(error || notice || info) && <FormAlert error={error ?? notice} message={info} />}
        {signedIn && !invite && <GoContinueForm email={signedIn.email} />}
        {invite?.hasPin !== false && (
          <section aria-labelledby="go-pin-heading" className="flex flex-col gap-3">
            <h2 id="go-pin-heading" className="text-base font-semibold">{t("go.withPin")}</h2>
            <GoPinForm email={email} />
          </section>
        )}
        <section aria-labelledby="go-password-heading" className="flex flex-col gap-3">
          <h2 id="go-password-heading" className="text-base font-semibold">{t("go.withPassword")}</h2>
          <GoPasswordForm email={email} />
          <Link href="/forgot-password" className="text-sm text-brand-700 underline">{t("login.forgot")}</Link>
        </section>
      </div>
    </AuthCard>
  );
}
