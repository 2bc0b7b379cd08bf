import { loadInventory } from "@/lib/mdm/storage";
import { prisma } from "@/lib/db/client";
import { errorChainText } from "@/lib/mdm/results";
import type { CertificateSummary, DeviceInfo, DeviceLocation, InstalledApp, ProfileSummary, SecuritySummary } from "@/lib/mdm/results";
import type { Command, Device } from "@/lib/db/generated/client";

// What the admin device page reads and decides: the device with its history, its stored
// inventory in typed form, which actions apply to it, and one-line summaries of command results.

export const HISTORY_LIMIT = 100;

export async function deviceExists(id: string): Promise<boolean> {
  return (await prisma().device.count({ where: { id } })) > 0;
}

/** The device, its owner, its latest commands and audit events, and the active push topic. */
export async function deviceDetail(id: string) {
  const device = await prisma().device.findUnique({
    where: { id },
    include: { owner: { select: { email: true, displayName: true } }, users: { select: { shortName: true, longName: true } } },
  });
  if (!device) return null;
  const [commands, events, active, inventory] = await Promise.all([
    prisma().command.findMany({ where: { deviceId: id }, orderBy: { seq: "desc" }, take: HISTORY_LIMIT }),
    // By time: the (target_type, target_id, at) index hands them over in order.
    prisma().auditEvent.findMany({ where: { targetType: "device", targetId: id }, orderBy: [{ at: "desc" }, { id: "desc" }], take: HISTORY_LIMIT }),
    prisma().pushCertificate.findFirst({ where: { status: "ACTIVE" }, select: { topic: true } }),
    loadInventory(id),
  ]);
  return { device, commands, events, activeTopic: active?.topic ?? null, inventory: inventory.inventory, lastInventoryAt: inventory.updatedAt };
}

/** JSON as stored: dates became ISO strings (lib/mdm/queue.ts jsonSafe). */
type Stored<T> = T extends Date ? string : T extends (infer U)[] ? Stored<U>[] : T extends object ? { [K in keyof T]: Stored<T[K]> } : T;

export interface Inventory {
  deviceInformation?: Stored<DeviceInfo>;
  securityInfo?: Stored<SecuritySummary>;
  applications: Stored<InstalledApp>[];
  profiles: Stored<ProfileSummary>[];
  certificates: Stored<CertificateSummary>[];
  /** Which lists the device has answered at least once (an empty list is not "unknown"). */
  has: { applications: boolean; profiles: boolean; certificates: boolean };
}

export type StoredLocation = Stored<DeviceLocation> & { receivedAt?: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The inventory as lib/mdm/storage.ts loadInventory returns it, defensively: a wrong shape reads as absent. */
export function readInventory(raw: unknown): Inventory {
  const inv = isObject(raw) ? raw : {};
  const list = <T>(v: unknown) => (Array.isArray(v) ? (v.filter(isObject) as T[]) : []);
  return {
    deviceInformation: isObject(inv.deviceInformation) ? (inv.deviceInformation as Stored<DeviceInfo>) : undefined,
    securityInfo: isObject(inv.securityInfo) ? (inv.securityInfo as Stored<SecuritySummary>) : undefined,
    applications: list(inv.applications),
    profiles: list(inv.profiles),
    certificates: list(inv.certificates),
    has: { applications: Array.isArray(inv.applications), profiles: Array.isArray(inv.profiles), certificates: Array.isArray(inv.certificates) },
  };
}

export function readLocation(raw: unknown): StoredLocation | null {
  if (!isObject(raw) || typeof raw.latitude !== "number" || typeof raw.longitude !== "number") return null;
  if (Math.abs(raw.latitude) > 90 || Math.abs(raw.longitude) > 180) return null;
  return raw as StoredLocation;
}

/** Links to the spot on Apple Maps and OpenStreetMap (https only). */
export function mapLinks(l: { latitude: number; longitude: number }) {
  const lat = l.latitude.toFixed(6);
  const lng = l.longitude.toFixed(6);
  return {
    apple: `https://maps.apple.com/?ll=${lat},${lng}&q=${lat},${lng}`,
    osm: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=16/${lat}/${lng}`,
  };
}

// --- which actions apply: lib/devices/action-table.ts

export { availability, type Unavailable } from "./action-table";

/** The wipe confirmation: the device name or serial number shown, typed again (width and case folded). */
export function wipeConfirmationMatches(d: Pick<Device, "name" | "serialNumber" | "udid">, typed: string): boolean {
  const norm = (s: string) => s.normalize("NFKC").trim().toLowerCase();
  const t = norm(typed);
  return t !== "" && wipeConfirmationChoices(d).some((v) => norm(v) === t);
}

/** What the page shows to type: the name and the serial number, or the UDID when it has neither. */
export function wipeConfirmationChoices(d: Pick<Device, "name" | "serialNumber" | "udid">): string[] {
  const shown = [d.name, d.serialNumber].filter((v): v is string => !!v?.trim());
  return shown.length ? shown : d.udid ? [d.udid] : [];
}


// --- command results

export type Summary = { key: string; params?: Record<string, string | number> } | { text: string } | null;

/** One line for the history table: the error (as on the dashboard), or a compact account of the answer. */
export function summarizeCommand(c: Pick<Command, "status" | "requestType" | "result" | "errorChain">): Summary {
  if (c.status === "ERROR") {
    const text = errorChainText(c.errorChain);
    return text ? { text } : { key: "deviceDetail.summary.error" };
  }
  if (c.status === "NOT_NOW") return { key: "deviceDetail.summary.notNow" };
  if (c.status !== "ACKNOWLEDGED") return null;
  const r = c.result;
  switch (c.requestType) {
    case "DeviceInformation": {
      const info = isObject(r) ? r : {};
      const parts = [info.name, info.osVersion].filter((v): v is string => typeof v === "string");
      return parts.length ? { text: parts.join(" · ") } : null;
    }
    case "SecurityInfo": {
      const s = isObject(r) ? r : {};
      if (typeof s.passcodePresent === "boolean") return { key: s.passcodePresent ? "deviceDetail.summary.passcodeOn" : "deviceDetail.summary.passcodeOff" };
      if (typeof s.fileVaultEnabled === "boolean") return { key: s.fileVaultEnabled ? "deviceDetail.summary.fileVaultOn" : "deviceDetail.summary.fileVaultOff" };
      return null;
    }
    case "InstalledApplicationList":
      return Array.isArray(r) ? { key: "deviceDetail.summary.apps", params: { count: r.length } } : null;
    case "ProfileList":
      return Array.isArray(r) ? { key: "deviceDetail.summary.profiles", params: { count: r.length } } : null;
    case "CertificateList":
      return Array.isArray(r) ? { key: "deviceDetail.summary.certificates", params: { count: r.length } } : null;
    case "DeviceLocation": {
      const l = readLocation(r);
      return l ? { text: `${l.latitude.toFixed(5)}, ${l.longitude.toFixed(5)}` } : null;
    }
    default:
      return null;
  }
}
