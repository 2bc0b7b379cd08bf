import Link from "next/link";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getT } from "@/lib/i18n/server";
import { view } from "@/lib/auth/guard";
import { readGoTicket } from "@/lib/invitations/tickets";
import { detectPlatform } from "@/lib/invitations/platform";
import { profileLinkMinutes } from "@/lib/enrollment/service";
import { AuthCard } from "@/components/auth-card";
import { FormAlert } from "@/components/field";
import { goCookie } from "../cookie";
import { DownloadForm } from "./download-form";
import { AndroidEnroll } from "./android-enroll";
import { androidConfigured } from "@/lib/android/service";
import { managedDevices } from "@/lib/invitations/go-status";

/** Seconds after the download before /go says what to do if the device has not checked in. */
const HELP_AFTER_SECONDS = 180;

export const dynamic = "force-dynamic";

const PLATFORMS = ["IOS", "MACOS", "ANDROID"] as const;
type P = (typeof PLATFORMS)[number];
const STEPS: Record<P, number> = { IOS: 4, MACOS: 4, ANDROID: 1 };
const ANDROID_STEPS = ["step1", "step2", "step3"] as const;
const SHOWN_ERRORS = new Set(["go.ticketExpired", "go.setPasswordFirst", "go.platformUnsupported", "enrollment.noPushCertificate"]);

/** The platform's steps and the profile download, for the user holding a /go ticket. */
export default async function GoDevicePage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ticket = await readGoTicket(await goCookie());
  if (!ticket) redirect("/go?error=go.ticketExpired");
  if (ticket.needsPassword) redirect("/go/password");
  const params = await searchParams;
  const t = await getT();
  const chosen = PLATFORMS.find((p) => p === params.platform);
  const platform: P = chosen ?? detectPlatform((await headers()).get("user-agent")) ?? "IOS";
  const signedIn = (await view.public())?.id === ticket.userId;
  const android = platform === "ANDROID" && (await androidConfigured());
  const error = params.error ? t(SHOWN_ERRORS.has(params.error) ? `errors.${params.error}` : "go.downloadFailed") : undefined;
  // Already managed (e.g. IT enrolled it before the user opened the invitation): say so first.
  const managed = await managedDevices(ticket.userId);
  const statusLabels = (p: "IOS" | "MACOS") => ({
    waiting: t("go.status.waiting"),
    managed: t(`go.platforms.${p}.managed`),
    ended: t("errors.go.ticketExpired"),
    helpTitle: t("go.status.helpTitle"),
    help: [1, 2, 3].map((i) => t(`go.platforms.${p}.help${i}`)).concat(t("go.status.helpContact")),
  });
  return (
    <AuthCard title={t(`go.platforms.${platform}.title`)} intro={t("go.signedInAs", { email: ticket.user.email })}>
      <div className="flex flex-col gap-5" data-testid="go-device" data-platform={platform}>
        {error && <FormAlert error={error} />}
        {managed.length > 0 && (
          <section aria-labelledby="go-managed-heading" data-testid="go-managed" className="rounded-lg bg-green-50 px-3 py-2 text-sm text-green-900 ring-1 ring-green-200">
            <h2 id="go-managed-heading" className="font-semibold">{t("go.alreadyManaged")}</h2>
            <ul className="mt-1 list-disc pl-5">
              {managed.map((d) => <li key={d.id}>{d.name ?? d.model ?? t(`go.platforms.${d.platform === "MACOS" ? "MACOS" : d.platform === "ANDROID" ? "ANDROID" : "IOS"}.name`)}</li>)}
            </ul>
            <p className="mt-1">{t("go.alreadyManagedMore")}</p>
          </section>
        )}
        <ol className="flex list-decimal flex-col gap-2 pl-5 text-slate-800">
          {android
            ? ANDROID_STEPS.map((s) => <li key={s}>{t(`androidGo.${s}`)}</li>)
            : Array.from({ length: STEPS[platform] }, (_, i) => <li key={i}>{t(`go.platforms.${platform}.step${i + 1}`)}</li>)}
        </ol>
        {android ? (
          <AndroidEnroll labels={{ enroll: t("androidGo.enroll"), enrolling: t("androidGo.enrolling"), qr: t("androidGo.qr"), qrPending: t("androidGo.qrPending"), qrHint: t("androidGo.qrHint"), open: t("androidGo.open") }} />
        ) : platform === "ANDROID" ? (
          <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200">{t("go.androidLater")}</p>
        ) : (
          <div className="flex flex-col gap-2">
            <DownloadForm platform={platform} label={t("go.download")} pendingLabel={t("go.downloading")} doneLabel={t(`go.platforms.${platform}.after`)} status={statusLabels(platform)} helpAfter={HELP_AFTER_SECONDS} />
            <p className="text-xs text-slate-600">{t("go.downloadValid", { minutes: profileLinkMinutes() })}</p>
          </div>
        )}
        <nav aria-label={t("go.otherPlatforms")} className="flex flex-wrap gap-x-4 gap-y-2 text-sm">
          <span className="text-slate-600">{t("go.otherPlatforms")}:</span>
          {PLATFORMS.filter((p) => p !== platform).map((p) => (
            <Link key={p} href={`/go/device?platform=${p}`} className="text-brand-700 underline">{t(`go.platforms.${p}.name`)}</Link>
          ))}
        </nav>
        {signedIn && <Link href="/" className="text-sm text-brand-700 underline">{t("go.toPortal")}</Link>}
      </div>
    </AuthCard>
  );
}
