import { route } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { resolvePublicUrl } from "@/lib/settings";
import { isUserError } from "@/lib/errors";
import { translator, matchLocale } from "@/lib/i18n";
import { clientAddress } from "@/lib/request";
import { linkPage } from "@/lib/http/page";
import { enrollmentProfile, profileResponse } from "@/lib/enrollment/profile";
import { profileLinkProblem } from "@/lib/enrollment/service";

export const dynamic = "force-dynamic";

// A one-time profile link is spent by use, not by fetching: GET (a person opening it, or a
// mail scanner or link preview prefetching it) shows a page with a Download button; the
// button's POST to this same address spends the link and answers the .mobileconfig, which
// Safari offers to install. A used or unknown link is refused on either method.

async function refusal(code: string, params: Record<string, string | number> = {}) {
  const locale = matchLocale((await headers()).get("accept-language"));
  const t = translator(locale);
  return linkPage({ lang: locale, title: t("enrollment.profileError"), text: t(`errors.${code}`, params), status: 410 });
}

export const GET = route.public("enrollment.profile", async (_req, { params }) => {
  const problem = await profileLinkProblem((params.token ?? "").slice(0, 200));
  if (problem) return refusal(problem);
  const locale = matchLocale((await headers()).get("accept-language"));
  const t = translator(locale);
  return linkPage({ lang: locale, title: t("enrollment.profileReadyTitle"), text: t("enrollment.profileReady"), button: t("enrollment.profileDownload") });
});

/** The Download button (or a device tool) takes the profile: this spends the link. */
export const POST = route.public("enrollment.profile", async (_req, { params }) => {
  const h = await headers();
  try {
    return profileResponse(await enrollmentProfile((params.token ?? "").slice(0, 200), await resolvePublicUrl(h.get("host")), { ip: clientAddress(h), userAgent: h.get("user-agent") }));
  } catch (e) {
    if (!isUserError(e)) throw e;
    return refusal(e.code, e.params);
  }
});

/** A HEAD is answered without looking the link up. (Next.js would otherwise run GET for a HEAD.) */
export const HEAD = route.public("enrollment.profile", () => {
  return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
});
