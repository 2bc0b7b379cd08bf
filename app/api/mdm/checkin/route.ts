import { deviceEndpoint } from "@/lib/mdm/http";
import { handleCheckin } from "@/lib/mdm/service";

export const dynamic = "force-dynamic";

/** CheckInURL: Authenticate, TokenUpdate, CheckOut, bootstrap token. */
export function PUT(req: Request) {
  return deviceEndpoint(req, (body, id) => handleCheckin(body, id));
}
