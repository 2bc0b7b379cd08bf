import { route } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { isUserError } from "@/lib/errors";
import { translator, matchLocale } from "@/lib/i18n";
import { clientAddress } from "@/lib/request";
import { linkPage } from "@/lib/http/page";
import { qrTokenProblem, redeemQrToken, GO_MINUTES } from "@/lib/invitations/tickets";
import { GO_COOKIE } from "@/lib/invitations/platform";

export const dynamic = "force-dynamic";

// What a scanned QR code opens. Spent by use, not by fetching: GET (the camera's browser, or a
// scanner prefetching it) shows a Continue button and changes nothing; its POST to this same
// address spends the code once and continues at /go/device as that user.

const go = (location: string, cookie?: string) =>
  new Response(null, { status: 303, headers: { location, "cache-control": "no-store", ...(cookie && { "set-cookie": cookie }) } });

export const GET = route.public("enrollment.qr", async (_req, { params }) => {
  const problem = await qrTokenProblem((params.token ?? "").slice(0, 200));
  if (problem) return go(`/go?error=${encodeURIComponent(problem)}`);
  const locale = matchLocale((await headers()).get("accept-language"));
  const t = translator(locale);
  return linkPage({ lang: locale, title: t("go.qrTitle"), text: t("go.qrIntro"), button: t("go.qrContinue") });
});

export const POST = route.public("enrollment.qr", async (_req, { params }) => {
  const h = await headers();
  try {
    const ticket = await redeemQrToken((params.token ?? "").slice(0, 200), { ip: clientAddress(h), userAgent: h.get("user-agent") });
    const secure = h.get("x-forwarded-proto") === "https" ? "; Secure" : "";
    return go("/go/device", `${GO_COOKIE}=${ticket.secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${GO_MINUTES * 60}${secure}`);
  } catch (e) {
    if (isUserError(e)) return go(`/go?error=${encodeURIComponent(e.code)}`);
    throw e;
  }
});

/** A HEAD (a scanner checking the link) is answered without looking the code up. */
export const HEAD = route.public("enrollment.qr", () => {
  return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
});
