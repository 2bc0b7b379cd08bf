import { deviceBatch, isTopicMismatch } from "./query";
import type { Prisma } from "@/lib/db/generated/client";
import type { T } from "@/lib/i18n";
import { csvDate, csvLine, UTF8_BOM } from "@/lib/csv";

// The device list as CSV for Excel: UTF-8 with a BOM (Excel in Japan otherwise reads Shift_JIS),
// CRLF lines, RFC 4180 quoting, and cells that a spreadsheet would run as a formula defused
// (lib/csv).
// Streamed in keyset batches by id, so memory stays flat however many devices match.

const EXPORT_SELECT = {
  id: true, udid: true, name: true, serialNumber: true, platform: true, modelName: true, productName: true, model: true, osVersion: true,
  status: true, phoneNumber: true, supervised: true, lastCheckInAt: true, enrolledAt: true, topic: true,
  owner: { select: { displayName: true, email: true } },
} satisfies Prisma.DeviceSelect;

export const EXPORT_BATCH = 5000;

/**
 * The CSV of every device matching `where`, produced batch by batch as the client reads it
 * (pull), so at most one batch is held in memory.
 */
export function deviceCsvStream(
  where: Prisma.DeviceWhereInput,
  opts: { t: T; timeZone: string; activeTopic: string | null; batchSize?: number; onEnd?: (rows: number) => void },
): ReadableStream<Uint8Array> {
  const { t, timeZone } = opts;
  const take = opts.batchSize ?? EXPORT_BATCH;
  const encoder = new TextEncoder();
  // Labels looked up once per value, not once per row.
  const label = memo((key: string) => t(key));
  const yesNo = (b: boolean | null) => (b === null ? "" : label(b ? "common.yes" : "common.no"));
  // The next batch is read while this one is formatted and written: the database and the
  // formatting overlap instead of taking turns.
  const read = (after: string | null) => {
    const p = deviceBatch(where, after, take, EXPORT_SELECT);
    p.catch(() => {}); // awaited in pull; a stream never read must not leave it unhandled
    return p;
  };
  let next = read(null);
  let rows = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(UTF8_BOM + csvLine([
        t("devices.name"), t("devices.serial"), t("devices.platform"), t("devices.model"), t("devices.os"), t("devices.status"),
        t("devices.csv.ownerName"), t("devices.csv.ownerEmail"), t("devices.phone"), t("devices.supervised"),
        t("devices.csv.lastCheckIn", { zone: timeZone }), t("devices.csv.enrolledAt", { zone: timeZone }),
        t("devices.csv.otherPushCertificate"), "UDID", t("devices.csv.id"),
      ])));
    },
    async pull(controller) {
      const batch = await next;
      if (batch.length === take) next = read(batch.at(-1)!.id);
      if (batch.length === 0) {
        controller.close();
        opts.onEnd?.(rows);
        return;
      }
      rows += batch.length;
      let text = "";
      for (const d of batch) {
        text += csvLine([
          d.name, d.serialNumber, label(`devices.platforms.${d.platform}`), d.modelName ?? d.productName ?? d.model, d.osVersion, label(`devices.statuses.${d.status}`),
          d.owner?.displayName, d.owner?.email, d.phoneNumber, yesNo(d.supervised),
          csvDate(d.lastCheckInAt, timeZone), csvDate(d.enrolledAt, timeZone),
          yesNo(opts.activeTopic ? isTopicMismatch(d, opts.activeTopic) : null), d.udid, d.id,
        ]);
      }
      controller.enqueue(encoder.encode(text));
      if (batch.length < take) {
        controller.close();
        opts.onEnd?.(rows);
      }
    },
  });
}

function memo(f: (key: string) => string): (key: string) => string {
  const seen = new Map<string, string>();
  return (key) => {
    let v = seen.get(key);
    if (v === undefined) seen.set(key, (v = f(key)));
    return v;
  };
}
