import { cache } from "react";
import { auth } from "./index";
import { prisma } from "@/lib/db/client";
import type { User } from "@/lib/db/generated/client";

/**
 * The signed-in user, re-read from the database on every request: a disabled user, a changed
 * role or a bumped sessionVersion takes effect at once, whatever the cookie says.
 */
export const currentUser = cache(async (): Promise<User | null> => {
  const session = await auth();
  const s = session?.user as { id?: string; sv?: number } | undefined;
  if (!s?.id) return null;
  const user = await prisma().user.findUnique({ where: { id: s.id } });
  if (!user || user.disabled || user.sessionVersion !== s.sv) return null;
  return user;
});
