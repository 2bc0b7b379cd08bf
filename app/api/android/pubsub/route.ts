import { route, routeError } from "@/lib/auth/guard";
import { receivePush } from "@/lib/android/notifications";

export const dynamic = "force-dynamic";

// Pub/Sub push from the Android Management API. Public to the guard: Google calls it without a
// session or an Origin header, and proves itself with a signed OIDC token that receivePush
// verifies (refusals audited there). 204 acks; any other answer makes Pub/Sub redeliver.
export const POST = route.public("android.pubsub", async (req, { ip, userAgent }) => {
  const r = await receivePush(req, { ip, userAgent });
  return r.status === 204 ? new Response(null, { status: 204 }) : routeError(r.status, r.code);
});
