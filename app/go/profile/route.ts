import { route } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { isUserError } from "@/lib/errors";
import { clientAddress } from "@/lib/request";
import { enrollmentForTicket } from "@/lib/invitations/tickets";
import { GO_COOKIE } from "@/lib/invitations/platform";

export const dynamic = "force-dynamic";

const PLATFORMS = new Set(["IOS", "MACOS"]);

/**
 * The download button on /go/device (a plain form, so it works as Safari expects): a fresh
 * one-time enrollment for the ticket's user, then on to the profile itself.
 */
export const POST = route.public("enrollment.goProfile", async (req) => {
  const h = await headers();
  const form = await req.formData().catch(() => null);
  const platform = String(form?.get("platform") ?? "");
  const secret = req.headers.get("cookie")?.split(/;\s*/).find((c) => c.startsWith(`${GO_COOKIE}=`))?.slice(GO_COOKIE.length + 1);
  const back = (code: string) => new Response(null, { status: 303, headers: { location: `/go/device?error=${encodeURIComponent(code)}` } });
  if (!PLATFORMS.has(platform)) return back("go.platformUnsupported");
  try {
    const e = await enrollmentForTicket(secret ? decodeURIComponent(secret) : null, platform as "IOS" | "MACOS", { ip: clientAddress(h), userAgent: h.get("user-agent") });
    return new Response(null, { status: 303, headers: { location: `/enroll/profile/${e.profileToken}`, "cache-control": "no-store" } });
  } catch (e) {
    if (isUserError(e)) return back(e.code);
    throw e;
  }
});
