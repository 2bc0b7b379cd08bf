import { NextResponse, type NextRequest } from "next/server";

// First line only: a visitor without a session cookie goes to sign-in. The session itself and
// the role are checked on the server by every admin page, action and route
// (lib/auth/session.ts). Not next-auth's auth() wrapper: it re-sets the session cookie on every
// request it passes, which would undo a sign-out posted to an /admin page.
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

export function proxy(req: NextRequest) {
  const hasSession = req.cookies.getAll().some((c) => SESSION_COOKIES.some((n) => c.name === n || c.name.startsWith(`${n}.`)));
  if (hasSession) return NextResponse.next();
  const { pathname, search } = req.nextUrl;
  const login = new URL("/login", req.nextUrl);
  login.searchParams.set("callbackUrl", pathname + search);
  return NextResponse.redirect(login);
}

export const config = { matcher: ["/admin/:path*", "/my/:path*"] };
