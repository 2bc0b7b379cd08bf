import { route } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { isUserError } from "@/lib/errors";
import { BodyTooLarge, readBody } from "@/lib/http/body";
import { getT } from "@/lib/i18n/server";
import { clientAddress } from "@/lib/request";
import { enrollmentForTicket } from "@/lib/invitations/tickets";
import { enrollmentProfile, profileResponse } from "@/lib/enrollment/profile";
import { resolvePublicUrl } from "@/lib/settings";
import { GO_COOKIE } from "@/lib/invitations/platform";

export const dynamic = "force-dynamic";

const PLATFORMS = new Set(["IOS", "MACOS"]);
/** The form carries one short field; anything bigger is not our button. */
const MAX_FORM_BYTES = 4096;

/** The posted form, read with a cap (413 past it); null when it is not a form. */
async function readForm(req: Request): Promise<FormData | null | "tooLarge"> {
  try {
    const body = await readBody(req, MAX_FORM_BYTES);
    return await new Response(new Uint8Array(body), { headers: { "content-type": req.headers.get("content-type") ?? "" } }).formData();
  } catch (e) {
    return e instanceof BodyTooLarge ? "tooLarge" : null;
  }
}

/**
 * The download button on /go/device (a plain form, so it works as Safari expects): a fresh
 * one-time enrollment for the ticket's user, answered at once as the .mobileconfig. The
 * enrollment's link is spent by this very tap, so no one-time URL is left lying around.
 */
export const POST = route.public("enrollment.goProfile", async (req) => {
  const h = await headers();
  const form = await readForm(req);
  if (form === "tooLarge") {
    const t = await getT();
    return new Response(t("errors.go.tooLarge", { maxKb: MAX_FORM_BYTES / 1024 }), { status: 413, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  const platform = String(form?.get("platform") ?? "");
  const secret = req.headers.get("cookie")?.split(/;\s*/).find((c) => c.startsWith(`${GO_COOKIE}=`))?.slice(GO_COOKIE.length + 1);
  const back = (code: string) => new Response(null, { status: 303, headers: { location: `/go/device?error=${encodeURIComponent(code)}` } });
  if (!PLATFORMS.has(platform)) return back("go.platformUnsupported");
  try {
    const ctx = { ip: clientAddress(h), userAgent: h.get("user-agent") };
    const e = await enrollmentForTicket(secret ? decodeURIComponent(secret) : null, platform as "IOS" | "MACOS", ctx);
    return profileResponse(await enrollmentProfile(e.profileToken, await resolvePublicUrl(h.get("host")), ctx));
  } catch (e) {
    if (isUserError(e)) return back(e.code);
    throw e;
  }
});
