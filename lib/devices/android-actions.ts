import type { Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import type { Device } from "@/lib/db/generated/client";
import type { DeviceAction } from "./action-table";
import type { ActionOutcome, ActionParams } from "./actions";

// Android devices: the action table's AMAPI way, carried out through lib/android/commands.ts.
export async function runAndroidAction(_d: Device, _action: DeviceAction, _p: ActionParams, _actor: Actor, _ctx: { ip: string | null; userAgent: string | null }): Promise<ActionOutcome> {
  throw new UserError("device.unavailable.platform");
}
