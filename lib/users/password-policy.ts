import { UserError } from "@/lib/errors";
import type { UserSource } from "@/lib/db/generated/enums";

// Who may set a password in Mamori. Directory users sign in with their directory password
// (an LDAP bind); changing or resetting it here would do nothing, so every password path
// must ask this first.

export function canChangePassword(user: { source: UserSource }): boolean {
  return user.source !== "DIRECTORY";
}

/** Throws UserError("password.directoryManaged") for directory users. */
export function assertCanChangePassword(user: { source: UserSource }): void {
  if (!canChangePassword(user)) throw new UserError("password.directoryManaged");
}
