import { isUserError } from "@/lib/errors";
import { verifyDirectoryPassword } from "./client";
import { getDirectoryConfig, isConfigured } from "./config";

/**
 * Sign-in of a DIRECTORY user: the directory decides (an LDAP bind as the user's DN). A user
 * the filter no longer matches cannot sign in even before the next sync disables them.
 */
export async function checkDirectoryPassword(
  user: { username: string | null },
  password: string,
): Promise<"ok" | "wrongPassword" | "notInDirectory" | "directoryUnavailable"> {
  if (!user.username) return "notInDirectory";
  if (!password) return "wrongPassword";
  const config = await getDirectoryConfig();
  if (!isConfigured(config)) return "directoryUnavailable";
  try {
    return await verifyDirectoryPassword(config, user.username, password);
  } catch (e) {
    if (!isUserError(e)) console.error("[directory] sign-in check failed:", e);
    return "directoryUnavailable";
  }
}
