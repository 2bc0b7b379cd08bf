import { deviceEndpoint } from "@/lib/mdm/http";
import { handleConnect } from "@/lib/mdm/service";

export const dynamic = "force-dynamic";

/** ServerURL: the device reports results and receives its next command. */
export function PUT(req: Request) {
  return deviceEndpoint(req, (body, id) => handleConnect(body, id));
}
