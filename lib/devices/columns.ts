import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";

// The device list's optional columns, chosen by each admin and kept on their account (so the
// choice follows them to another browser or instance). The name column is always shown.

export const DEVICE_COLUMNS = ["platform", "status", "owner", "model", "os", "serial", "lastCheckIn", "topic"] as const;
export type DeviceColumn = (typeof DEVICE_COLUMNS)[number];
export const DEFAULT_COLUMNS: readonly DeviceColumn[] = ["platform", "status", "owner", "os", "serial", "lastCheckIn"];

/** The saved choice in display order; nothing saved (or nothing valid) is the default set. */
export function chosenColumns(saved: readonly string[] | null | undefined): DeviceColumn[] {
  const set = new Set(saved ?? []);
  const out = DEVICE_COLUMNS.filter((c) => set.has(c));
  return out.length ? out : [...DEFAULT_COLUMNS];
}

export async function setDeviceColumns(userId: string, columns: readonly DeviceColumn[], ctx: { actor: Actor; ip: string | null; userAgent: string | null }) {
  if (!columns.some((c) => (DEVICE_COLUMNS as readonly string[]).includes(c))) throw new UserError("device.columnsNone");
  const chosen = chosenColumns(columns);
  await prisma().user.update({ where: { id: userId }, data: { deviceColumns: chosen } });
  await audit({ actor: ctx.actor, action: "user.deviceColumns", target: { type: "user", id: userId, label: ctx.actor.label }, details: { columns: chosen }, ip: ctx.ip, userAgent: ctx.userAgent });
  return chosen;
}
