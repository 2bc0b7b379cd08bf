import { cookies, headers } from "next/headers";
import { GO_COOKIE } from "@/lib/invitations/platform";
import { GO_MINUTES } from "@/lib/invitations/tickets";

/** The /go ticket lives in an httpOnly cookie for the few minutes enrollment takes. */
export async function setGoCookie(secret: string) {
  const h = await headers();
  const secure = h.get("x-forwarded-proto") === "https";
  (await cookies()).set(GO_COOKIE, secret, { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: GO_MINUTES * 60 });
}

export async function goCookie(): Promise<string | undefined> {
  return (await cookies()).get(GO_COOKIE)?.value;
}
