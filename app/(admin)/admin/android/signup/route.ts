import { route } from "@/lib/auth/guard";
import { completeAndroidSignup } from "@/lib/android/binding";

// Where Google sends the admin back after enterprise signup, with our `state` and Google's
// `enterpriseToken`. Only the pending signup this admin started is finished, once; anything
// else (forged, replayed, another admin's, expired) is refused and changes nothing.
export const GET = route.admin("android.signup_complete", async (req, { user, ip, userAgent }) => {
  const q = new URL(req.url).searchParams;
  const outcome = await completeAndroidSignup({ state: q.get("state"), enterpriseToken: q.get("enterpriseToken") }, { id: user.id, label: user.email }, { ip, userAgent });
  const to = "signupId" in outcome ? `/admin/android?signup=${outcome.signupId}` : `/admin/android?signup=refused`;
  // A relative Location: the browser stays on the address it used (never a host from the request).
  return new Response(null, { status: 303, headers: { location: to, "cache-control": "no-store", "referrer-policy": "no-referrer" } });
});
