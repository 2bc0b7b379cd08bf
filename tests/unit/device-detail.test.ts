import { describe, expect, it } from "vitest";
import { catalog, keysOf } from "@/lib/i18n";
import { DEVICE_ACTIONS, UNAVAILABLE } from "@/lib/devices/action-table";
import { mapLinks, readInventory, readLocation, summarizeCommand, wipeConfirmationChoices, wipeConfirmationMatches } from "@/lib/devices/detail";
import { COMMAND_INFO } from "@/lib/mdm/commands";

describe("wipe confirmation", () => {
  const d = { name: "Hanako's iPhone", serialNumber: "F2LXK0ABCD", udid: "U-1" };
  it("accepts the name or the serial number, ignoring case, width and spaces around", () => {
    expect(wipeConfirmationMatches(d, "Hanako's iPhone")).toBe(true);
    expect(wipeConfirmationMatches(d, "  ｆ２ｌｘｋ０ａｂｃｄ ")).toBe(true);
    expect(wipeConfirmationMatches(d, "Hanako")).toBe(false);
    expect(wipeConfirmationMatches(d, "")).toBe(false);
    expect(wipeConfirmationMatches(d, "U-1")).toBe(false);
  });
  it("falls back to the UDID for a device that told nothing else", () => {
    const bare = { name: null, serialNumber: null, udid: "U-2" };
    expect(wipeConfirmationChoices(bare)).toEqual(["U-2"]);
    expect(wipeConfirmationChoices(d)).toEqual(["Hanako's iPhone", "F2LXK0ABCD"]);
    expect(wipeConfirmationMatches(bare, "u-2")).toBe(true);
  });
});

describe("inventory and location as stored", () => {
  it("reads lists and tells an empty list from one never received", () => {
    const inv = readInventory({ applications: [{ name: "LINE" }, "junk"], profiles: [] });
    expect(inv.applications).toEqual([{ name: "LINE" }]);
    expect(inv.has).toEqual({ applications: true, profiles: true, certificates: false });
    expect(readInventory(null).deviceInformation).toBeUndefined();
  });
  it("reads a location and links to maps over https", () => {
    const l = readLocation({ latitude: 35.681236, longitude: 139.767125, receivedAt: "2026-01-01T00:00:00.000Z" })!;
    expect(mapLinks(l).apple).toBe("https://maps.apple.com/?ll=35.681236,139.767125&q=35.681236,139.767125");
    expect(mapLinks(l).osm).toMatch(/^https:\/\/www\.openstreetmap\.org\/\?mlat=35\.681236&mlon=139\.767125/);
    expect(readLocation({ latitude: 91, longitude: 0 })).toBeNull();
    expect(readLocation({ latitude: "35", longitude: 139 })).toBeNull();
  });
});

describe("command result summaries", () => {
  const c = (requestType: string, status: string, result: unknown = null, errorChain: unknown = null) => summarizeCommand({ requestType, status: status as never, result: result as never, errorChain: errorChain as never });
  it("gives the error with its domain and code", () => {
    expect(c("DeviceLock", "ERROR", null, [{ code: 12003, domain: "MCMDMErrorDomain", description: "A PIN is required" }, { code: null, domain: null, description: "underlying" }]))
      .toEqual({ text: "A PIN is required (MCMDMErrorDomain 12003)" });
    expect(c("DeviceLock", "ERROR")).toEqual({ key: "deviceDetail.summary.error" });
  });
  it("counts lists and quotes what matters", () => {
    expect(c("InstalledApplicationList", "ACKNOWLEDGED", [{}, {}, {}])).toEqual({ key: "deviceDetail.summary.apps", params: { count: 3 } });
    expect(c("DeviceInformation", "ACKNOWLEDGED", { name: "iPhone", osVersion: "18.1" })).toEqual({ text: "iPhone · 18.1" });
    expect(c("DeviceLocation", "ACKNOWLEDGED", { latitude: 35.681236, longitude: 139.767131 })).toEqual({ text: "35.68124, 139.76713" });
    expect(c("SecurityInfo", "ACKNOWLEDGED", { fileVaultEnabled: true })).toEqual({ key: "deviceDetail.summary.fileVaultOn" });
    expect(c("DeviceLock", "QUEUED")).toBeNull();
  });
});

describe("the device page's computed catalog keys exist in both languages", () => {
  const en = new Set(keysOf(catalog("en")));
  const ja = new Set(keysOf(catalog("ja")));
  const need = [
    ...DEVICE_ACTIONS.flatMap((a) => ["title", "description", "button", "pending"].map((k) => `deviceDetail.actions.${a}.${k}`)),
    ...DEVICE_ACTIONS.flatMap((a) => [`deviceDetail.done.${a}`, `audit.actions.device_${a}`]),
    ...Object.keys(COMMAND_INFO).map((t) => `deviceDetail.requestTypes.${t}`),
    ...["QUEUED", "SENT", "ACKNOWLEDGED", "ERROR", "NOT_NOW", "EXPIRED", "CANCELLED"].map((s) => `deviceDetail.commandStatuses.${s}`),
    ...["delivered", "invalidToken", "unregistered", "badCertificate", "retryLater", "badRequest", "noCertificate", "noToken", "tokenInvalid", "topicMismatch", "notFound"].map((p) => `deviceDetail.push.${p}`),
    ...UNAVAILABLE.map((u) => `errors.device.unavailable.${u}`),
    ...["WIPED", "RETIRED"].map((s) => `deviceDetail.notManaged.${s}`),
    ...["error", "notNow", "passcodeOn", "passcodeOff", "fileVaultOn", "fileVaultOff", "apps", "profiles", "certificates"].map((s) => `deviceDetail.summary.${s}`),
  ];
  it.each(need)("%s", (key) => {
    expect(en.has(key)).toBe(true);
    expect(ja.has(key)).toBe(true);
  });
});
