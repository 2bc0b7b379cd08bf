import { describe, expect, it } from "vitest";
import { ACTION_TABLE, availability, DEVICE_ACTIONS, type AvailabilityInput } from "@/lib/devices/action-table";
import { BULK_ACTIONS } from "@/lib/devices/bulk";
import { portalAvailability } from "@/lib/portal/devices";
import { COMMAND_INFO } from "@/lib/mdm/commands";

// The one table of device actions: what each platform and state offers, and why not.

const base: AvailabilityInput = { platform: "IOS", status: "ACTIVE", supervised: true, lostMode: false, unlockTokenSealed: "sealed", enrollmentId: "e", osVersion: "18.1" };
const offered = (d: Partial<AvailabilityInput>) =>
  Object.entries(availability({ ...base, ...d })).filter(([, why]) => why === null).map(([a]) => a);

describe("Apple devices", () => {
  it("a supervised iPhone outside lost mode: everything but the lost-mode-only actions", () => {
    expect(offered({})).toEqual(["refresh", "checkIn", "rename", "lock", "clearPasscode", "lostModeOn", "restart", "wipe", "retire"]);
  });

  it("in lost mode: turn it off, locate and play a sound instead of turning it on", () => {
    const a = availability({ ...base, lostMode: true });
    expect(a.lostModeOn).toBe("inLostMode");
    expect([a.lostModeOff, a.locate, a.playSound]).toEqual([null, null, null]);
  });

  it("a Mac: no passcode clearing nor lost mode, whatever its state", () => {
    expect(offered({ platform: "MACOS", supervised: false, unlockTokenSealed: null })).toEqual(["refresh", "checkIn", "rename", "lock", "restart", "wipe", "retire"]);
    expect(availability({ ...base, platform: "MACOS" }).clearPasscode).toBe("platform");
  });

  it("an unsupervised iPhone cannot use supervised-only commands; unknown supervision is offered", () => {
    const a = availability({ ...base, supervised: false });
    // Rename: the Settings command is not supervised-only, its DeviceName item is.
    expect([a.lostModeOn, a.restart, a.rename]).toEqual(["supervisedOnly", "supervisedOnly", "supervisedOnly"]);
    expect(a.lock).toBeNull();
    expect(availability({ ...base, supervised: null }).lostModeOn).toBeNull();
  });

  it("explains a missing unlock token and enrollment profile; nothing for a retired or wiped device", () => {
    expect(availability({ ...base, unlockTokenSealed: null }).clearPasscode).toBe("noUnlockToken");
    expect(availability({ ...base, enrollmentId: null }).retire).toBe("noEnrollmentProfile");
    expect(offered({ status: "RETIRED" })).toEqual([]);
    expect(offered({ status: "WIPED" })).toEqual([]);
  });

  it("names only commands Apple has, on the platforms Apple gives them", () => {
    for (const spec of Object.values(ACTION_TABLE)) for (const t of spec.apple ?? []) expect(COMMAND_INFO).toHaveProperty(t);
  });
});

describe("Android devices", () => {
  const android = (d: Partial<AvailabilityInput>): AvailabilityInput => ({ ...base, platform: "ANDROID", supervised: null, unlockTokenSealed: null, enrollmentId: null, osVersion: "14", ...d });
  const fully = android({ androidManagementMode: "DEVICE_OWNER", androidOwnership: "COMPANY_OWNED" });
  const workProfile = android({ androidManagementMode: "PROFILE_OWNER", androidOwnership: "PERSONALLY_OWNED" });

  it("a company-owned, fully managed phone: lock, new passcode, lost mode, restart, wipe; no retire without erasing", () => {
    const a = availability(fully);
    expect(Object.entries(a).filter(([, w]) => !w).map(([k]) => k)).toEqual(["refresh", "lock", "clearPasscode", "lostModeOn", "restart", "wipe"]);
    expect(a.retire).toBe("fullyManaged");
    // Google's API has no way to rename a device.
    expect([a.checkIn, a.locate, a.playSound, a.rename]).toEqual(["platform", "platform", "platform", "platform"]);
    expect(availability({ ...fully, lostMode: true }).lostModeOff).toBeNull();
    expect(availability({ ...fully, lostMode: true }).lostModeOn).toBe("inLostMode");
  });

  it("a personal phone with a work profile: lock, new work passcode and retire (remove the profile) only", () => {
    const a = availability(workProfile);
    expect(Object.entries(a).filter(([, w]) => !w).map(([k]) => k)).toEqual(["refresh", "lock", "clearPasscode", "retire"]);
    expect([a.wipe, a.restart]).toEqual(["workProfile", "workProfile"]);
    expect(a.lostModeOn).toBe("companyOwnedOnly");
  });

  it("lost mode needs Android 11 (13 with a company-owned work profile); restart Android 7", () => {
    expect(availability({ ...fully, osVersion: "10" }).lostModeOn).toBe("androidTooOld");
    expect(availability({ ...fully, osVersion: "11" }).lostModeOn).toBeNull();
    const cope = android({ androidManagementMode: "PROFILE_OWNER", androidOwnership: "COMPANY_OWNED" });
    expect(availability({ ...cope, osVersion: "12" }).lostModeOn).toBe("androidTooOld");
    expect(availability({ ...cope, osVersion: "13" }).lostModeOn).toBeNull();
    expect(availability({ ...fully, osVersion: "6.0" }).restart).toBe("androidTooOld");
  });

  it("an unknown management mode offers nothing that erases or depends on the mode", () => {
    const a = availability(android({}));
    expect([a.lock, a.clearPasscode, a.refresh]).toEqual([null, null, null]);
    expect([a.wipe, a.retire, a.restart, a.lostModeOn]).toEqual(["androidModeUnknown", "androidModeUnknown", "androidModeUnknown", "androidModeUnknown"]);
  });

  it("the portal's locate is lost mode on Android", () => {
    expect(portalAvailability(fully).locate).toBeNull();
    expect(portalAvailability(workProfile).locate).toBe("companyOwnedOnly");
    expect(portalAvailability(workProfile).wipe).toBe("workProfile");
    expect(portalAvailability(workProfile).retire).toBeNull();
  });
});

describe("the table itself", () => {
  it("covers every action once, and bulk runs exactly the actions it marks", () => {
    expect(Object.keys(ACTION_TABLE).sort()).toEqual([...DEVICE_ACTIONS].sort());
    expect([...BULK_ACTIONS].sort()).toEqual(DEVICE_ACTIONS.filter((a) => ACTION_TABLE[a].bulk).sort());
  });
});
