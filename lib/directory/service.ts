import { audit, type Actor } from "@/lib/audit";
import { isUserError, UserError } from "@/lib/errors";
import { testConnection } from "./client";
import { getDirectoryConfig, isConfigured } from "./config";

// What the admin page calls besides saving: "test connection" (audited as directory.test).
// Import now is syncDirectory in ./sync.

type Ctx = { ip: string | null; userAgent: string | null };

/** Connects with the saved settings and counts matching users; throws UserError("directory.*"). */
export async function testDirectory(actor: Actor, ctx: Ctx): Promise<{ count: number }> {
  const config = await getDirectoryConfig();
  if (!isConfigured(config)) throw new UserError("directory.notConfigured");
  const target = { type: "directory", label: config.url };
  try {
    const { count } = await testConnection(config);
    await audit({ actor, action: "directory.test", target, details: { count }, ...ctx });
    return { count };
  } catch (e) {
    if (!isUserError(e)) throw e;
    await audit({ actor, action: "directory.test", result: "FAILURE", target, details: { error: e.code, ...e.params }, ...ctx });
    throw e;
  }
}
