import { route, RouteError } from "@/lib/auth/guard";
import { goEnrollmentStatus } from "@/lib/invitations/go-status";
import { goCookie } from "@/app/go/cookie";

export const dynamic = "force-dynamic";

/**
 * Polled by /go/device after the profile download: has the device checked in yet? Whoever holds
 * the /go ticket cookie may ask (the user is not necessarily signed in); it changes nothing.
 */
export const GET = route.public("enrollment.goStatus", async () => {
  const status = await goEnrollmentStatus(await goCookie());
  if (!status) throw new RouteError(410, "go.ticketExpired");
  const d = status.managed;
  return Response.json({ managed: Boolean(d), device: d && { name: d.name, model: d.model } }, { headers: { "cache-control": "no-store" } });
});
