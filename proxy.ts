import NextAuth from "next-auth";
import { NextResponse } from "next/server";
import { edgeConfig } from "@/lib/auth/edge-config";

const { auth } = NextAuth(edgeConfig);

// First line only: signed-out visitors go to sign-in. Roles are checked again on the server by
// every admin page, action and route (lib/auth/session.ts), never only here.
export const proxy = auth((req) => {
  const { pathname, search } = req.nextUrl;
  if (!req.auth) {
    const login = new URL("/login", req.nextUrl);
    login.searchParams.set("callbackUrl", pathname + search);
    return NextResponse.redirect(login);
  }
  return NextResponse.next();
});

export const config = { matcher: ["/admin/:path*", "/my/:path*"] };
