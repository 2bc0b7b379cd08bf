import { cache } from "react";
import { forbidden, redirect } from "next/navigation";
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

export async function requireUser(next = "/"): Promise<User> {
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(next)}`);
  return user;
}

/** Admin pages, actions and routes call this; an end user gets 403, never the page. */
export async function requireAdmin(next = "/admin"): Promise<User> {
  const user = await requireUser(next);
  if (user.role !== "ADMIN") forbidden();
  return user;
}

/** The portal is for end users; an admin is sent to the console instead. */
export async function requireEndUser(next = "/my"): Promise<User> {
  const user = await requireUser(next);
  if (user.role !== "END_USER") redirect("/admin");
  return user;
}
