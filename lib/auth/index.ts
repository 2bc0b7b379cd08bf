import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { edgeConfig } from "./edge-config";
import { attemptLogin } from "./login";
import { isUserError } from "@/lib/errors";
import { clientAddress } from "@/lib/request";

/** Carries our error code (and its one parameter) through next-auth to the sign-in form. */
class LoginFailed extends CredentialsSignin {
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

export const { auth, handlers, signIn, signOut } = NextAuth({
  ...edgeConfig,
  // A refused sign-in is expected and already in the audit log; keep it out of the error log.
  logger: {
    error(e) {
      if ((e as { type?: string }).type !== "CredentialsSignin") console.error(e);
    },
  },
  providers: [
    Credentials({
      credentials: { email: {}, password: {} },
      async authorize(credentials, request) {
        try {
          const user = await attemptLogin({
            email: String(credentials?.email ?? ""),
            password: String(credentials?.password ?? ""),
            ip: clientAddress(request.headers),
            userAgent: request.headers.get("user-agent"),
          });
          return { ...user, name: user.name };
        } catch (e) {
          if (isUserError(e)) throw new LoginFailed([e.code, ...Object.values(e.params)].join(":"));
          throw e;
        }
      },
    }),
  ],
});
