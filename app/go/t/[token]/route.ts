import { route } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { isUserError } from "@/lib/errors";
import { clientAddress } from "@/lib/request";
import { redeemQrToken, GO_MINUTES } from "@/lib/invitations/tickets";
import { GO_COOKIE } from "@/lib/invitations/platform";

export const dynamic = "force-dynamic";

/** What a scanned QR code opens: spends the token once and continues at /go/device as that user. */
export const GET = route.public("enrollment.qr", async (_req, { params }) => {
  const h = await headers();
  const go = (location: string, cookie?: string) =>
    new Response(null, { status: 303, headers: { location, "cache-control": "no-store", ...(cookie && { "set-cookie": cookie }) } });
  try {
    const ticket = await redeemQrToken((params.token ?? "").slice(0, 200), { ip: clientAddress(h), userAgent: h.get("user-agent") });
    const secure = h.get("x-forwarded-proto") === "https" ? "; Secure" : "";
    return go("/go/device", `${GO_COOKIE}=${ticket.secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${GO_MINUTES * 60}${secure}`);
  } catch (e) {
    if (isUserError(e)) return go(`/go?error=${encodeURIComponent(e.code)}`);
    throw e;
  }
});

/** A HEAD (a scanner checking the link) never spends the QR code; only opening it does. */
export const HEAD = route.public("enrollment.qr", () => {
  return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
});
