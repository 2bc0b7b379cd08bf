import { route } from "@/lib/auth/guard";
import { deviceEndpoint } from "@/lib/mdm/http";
import { handleCheckin } from "@/lib/mdm/service";

export const dynamic = "force-dynamic";

/** CheckInURL: Authenticate, TokenUpdate, CheckOut, bootstrap token. */
export const PUT = route.device((req: Request) => {
  return deviceEndpoint(req, (body, id) => handleCheckin(body, id));
});
