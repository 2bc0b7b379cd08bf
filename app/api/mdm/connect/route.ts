import { route } from "@/lib/auth/guard";
import { deviceEndpoint } from "@/lib/mdm/http";
import { handleConnect } from "@/lib/mdm/service";

export const dynamic = "force-dynamic";

/** ServerURL: the device reports results and receives its next command. */
export const PUT = route.device((req: Request) => {
  return deviceEndpoint(req, (body, id) => handleConnect(body, id));
});
