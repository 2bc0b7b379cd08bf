import type { NextAuthConfig } from "next-auth";
import { sessionMaxAge } from "@/lib/config";

// Imported by proxy.ts: no Prisma, no password hashing here.
export const edgeConfig = {
  trustHost: true,
  session: { strategy: "jwt", maxAge: sessionMaxAge() },
  pages: { signIn: "/login", error: "/login" },
  providers: [],
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        const u = user as { id: string; role: string; sessionVersion: number };
        token.sub = u.id;
        token.role = u.role;
        token.sv = u.sessionVersion;
      }
      return token;
    },
    session({ session, token }) {
      Object.assign(session.user, { id: token.sub, role: token.role, sv: token.sv });
      return session;
    },
  },
} satisfies NextAuthConfig;
