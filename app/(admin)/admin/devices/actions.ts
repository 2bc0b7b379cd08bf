"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { action } from "@/lib/auth/guard";
import { BULK_ACTIONS, BULK_MAX, bulkReport, runBulkAction, type BulkSelection } from "@/lib/devices/bulk";
import { parseDeviceFilter } from "@/lib/devices/query";
import { DEVICE_COLUMNS, setDeviceColumns, type DeviceColumn } from "@/lib/devices/columns";

const schema = z.object({
  action: z.enum(BULK_ACTIONS),
  scope: z.enum(["selected", "filter"]),
  // The selected ids, comma-separated (scope "selected"); at most BULK_MAX, checked again below.
  ids: z.string().max(BULK_MAX * 40).default("").transform((s) => s.split(",").filter(Boolean)).pipe(z.array(z.uuid())),
  // The list's query string (scope "filter"): the same filter the page shows.
  filter: z.string().max(4000).default(""),
  message: z.string().trim().max(200, "validation.tooLong").default(""),
  phoneNumber: z.string().trim().max(40, "validation.tooLong").default(""),
  pin: z.string().trim().max(20).default(""),
  confirm: z.string().trim().max(20).default(""),
});

export const bulkDeviceAction = action.admin({ name: "device.bulk", schema }, async (input, { user, t, ip, userAgent }) => {
  const selection: BulkSelection = input.scope === "filter"
    ? { scope: "filter", filter: parseDeviceFilter(new URLSearchParams(input.filter), "strict") }
    : { scope: "selected", ids: input.ids };
  const withParams = input.action === "lock" || input.action === "wipe";
  const result = await runBulkAction(
    selection,
    input.action,
    {
      ...(input.action === "lock" && { message: input.message || undefined, phoneNumber: input.phoneNumber || undefined }),
      ...(withParams && input.pin && { pin: input.pin }),
      confirm: input.confirm,
    },
    { id: user.id, label: user.email },
    { ip, userAgent },
  );
  revalidatePath("/admin/devices");
  // Queued, never "done": the pushes run as a job whose progress the form shows.
  const report = bulkReport(t, result);
  return result.queued ? { ok: true, message: report, jobId: result.jobId ?? undefined, data: { batchId: result.batchId } } : { ok: false, error: report };
});

const columnsSchema = z.object(Object.fromEntries(DEVICE_COLUMNS.map((c) => [c, z.literal("on").optional()])) as Record<DeviceColumn, z.ZodOptional<z.ZodLiteral<"on">>>);

/** The device list's columns for this admin, kept on their account. */
export const saveDeviceColumns = action.admin({ name: "user.deviceColumns", schema: columnsSchema }, async (input, { user, t, ip, userAgent }) => {
  await setDeviceColumns(user.id, DEVICE_COLUMNS.filter((c) => input[c]), { actor: { id: user.id, label: user.email }, ip, userAgent });
  revalidatePath("/admin/devices");
  return { ok: true, message: t("devices.columns.saved") };
});
