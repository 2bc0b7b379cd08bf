"use server";

import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { configuredPublicUrl } from "@/lib/settings";
import { checkPublicUrl } from "@/lib/setup-checklist";

// The live check of the setup checklist's public address: does it answer from here? It reads,
// changes nothing; run when the checklist is shown and on "Check again".
export const checkPublicUrlAction = action.admin({ name: "setup.checkPublicUrl", schema: z.object({}) }, async (_input, { t }) => {
  const url = await configuredPublicUrl();
  const r = await checkPublicUrl(url);
  return {
    ok: true,
    data: { reachable: r.ok ? "yes" : "no" },
    message: r.ok ? t("checklist.live.ok", { url: url! }) : t(url ? "setup.live.failed" : "setup.live.notSet", { url: url ?? "", detail: r.detail }),
  };
});
