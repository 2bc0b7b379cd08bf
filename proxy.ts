import { NextResponse, type NextRequest } from "next/server";

// Two jobs before any page runs:
// 1. A fresh nonce per request for the Content-Security-Policy: only scripts and styles that
//    Next.js rendered for this very answer run (it reads the nonce from the request's CSP header
//    and puts it on its own tags; every page is rendered per request, the root layout reads cookies).
// 2. On /admin and /my, a visitor without a session cookie goes to sign-in. The session itself
//    and the role are checked on the server by every page, action and route (lib/auth/guard.ts).
//    Not next-auth's auth() wrapper: it re-sets the session cookie on every request it passes,
//    which would undo a sign-out posted to an /admin page.
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
const DEV = process.env.NODE_ENV === "development";

/** The policy for one answer; style attributes are not allowed either (no inline style={{}}). */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': a script Next.js loaded with the nonce may load its own chunks. React's
    // development build reconstructs server stacks with eval.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${DEV ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function needsSession(pathname: string): boolean {
  return /^\/(admin|my)(\/|$)/.test(pathname);
}

export function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (needsSession(pathname) && !req.cookies.getAll().some((c) => SESSION_COOKIES.some((n) => c.name === n || c.name.startsWith(`${n}.`)))) {
    const login = new URL("/login", req.nextUrl);
    login.searchParams.set("callbackUrl", pathname + search);
    return NextResponse.redirect(login);
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const csp = contentSecurityPolicy(nonce);
  const headers = new Headers(req.headers);
  headers.set("content-security-policy", csp);
  headers.set("x-nonce", nonce);
  const res = NextResponse.next({ request: { headers } });
  res.headers.set("content-security-policy", csp);
  return res;
}

// Everything but the build's static files and the icons and manifest (they carry no script of
// ours to allow, and signed-out visitors, browsers and home screens must get them).
export const config = { matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg|icon-192.png|icon-512.png|apple-touch-icon.png|manifest.webmanifest).*)"] };
