import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConnect } from "@/lib/mdm/checkin";
import {
  type ApplePlatform,
  type BuiltCommand,
  COMMAND_INFO,
  DEFAULT_QUERIES,
  type RequestType,
  certificateList,
  clearPasscode,
  deviceInformation,
  deviceLocation,
  deviceLock,
  deviceName,
  disableLostMode,
  enableLostMode,
  envelope,
  eraseDevice,
  installProfile,
  installedApplicationList,
  parseErrorChain,
  parseResult,
  playLostModeSound,
  profileList,
  removeProfile,
  restartDevice,
  securityInfo,
} from "@/lib/mdm/commands";
import { type PlistDict, buildPlist, parsePlist } from "@/lib/mdm/plist";
import { describeDer } from "@/lib/pki/x509";
import { type AppleOS, checkDict, schemasIn, supportedOn } from "@/tests/support/apple-schema";
import { refusal } from "@/tests/support/refusal";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/mdm");
const load = (name: string): PlistDict => parsePlist(readFileSync(path.join(FIXTURES, name)));
const response = (name: string) => parseConnect(load(name)).response;
const UNLOCK = load("tokenupdate-iphone.plist").UnlockToken as Buffer;
const PROFILE = readFileSync(path.join(FIXTURES, "checkout-iphone.plist")); // any XML plist will do as bytes

const OS: Record<ApplePlatform, AppleOS> = { IOS: "iOS", MACOS: "macOS" };
const PLATFORMS: ApplePlatform[] = ["IOS", "MACOS"];


/** Each builder with every option that applies to the platform filled in. */
const FULL: Record<RequestType, (p: ApplePlatform) => BuiltCommand> = {
  DeviceInformation: (p) => deviceInformation(p),
  SecurityInfo: (p) => securityInfo(p),
  InstalledApplicationList: (p) => installedApplicationList(p, { identifiers: ["com.example.expenses"], managedAppsOnly: true }),
  ProfileList: (p) => profileList(p, { managedOnly: true }),
  CertificateList: (p) => certificateList(p, { managedOnly: false }),
  DeviceLock: (p) =>
    deviceLock(p, { message: "この端末は紛失しています。", phoneNumber: "03-1234-5678", pin: p === "MACOS" ? "482913" : undefined }),
  ClearPasscode: (p) => clearPasscode(p, { unlockToken: UNLOCK }),
  EraseDevice: (p) =>
    eraseDevice(p, p === "IOS" ? { preserveDataPlan: true, disallowProximitySetup: true } : { pin: "482913", obliterationBehavior: "DoNotObliterate" }),
  EnableLostMode: (p) => enableLostMode(p, { message: "拾った方はご連絡ください", phoneNumber: "+81 3-1234-5678", footnote: "Example Corp" }),
  DisableLostMode: (p) => disableLostMode(p),
  DeviceLocation: (p) => deviceLocation(p),
  PlayLostModeSound: (p) => playLostModeSound(p),
  RestartDevice: (p) => restartDevice(p, p === "MACOS" ? { notifyUser: true } : {}),
  InstallProfile: (p) => installProfile(p, { payload: PROFILE }),
  RemoveProfile: (p) => removeProfile(p, { identifier: "com.example.wifi" }),
  Settings: (p) => deviceName(p, { name: "営業部 田中の iPhone" }),
};

const RIGHTS: Record<string, number | null> = {
  AllowInspection: 1,
  AllowInstallationRemoval: 2,
  AllowPasscodeRemovalAndLock: 4,
  AllowDeviceErase: 8,
  AllowQueryDeviceInformation: 16,
  AllowQueryNetworkInformation: 32,
  AllowQueryApplications: 256,
  AllowQuerySecurity: 1024,
  AllowSettings: 2048,
  None: null,
  "Special Case": null,
};

describe("command builders against Apple's YAML", () => {
  const schemas = schemasIn("commands");

  it("has a schema for every command it builds", () => {
    for (const type of Object.keys(FULL)) expect(schemas.has(type), type).toBe(true);
  });

  it("emits only keys the YAML defines for the command, with the right types, values and OS", () => {
    for (const [type, make] of Object.entries(FULL) as [RequestType, (p: ApplePlatform) => BuiltCommand][]) {
      const schema = schemas.get(type)!;
      for (const p of PLATFORMS.filter((p) => supportedOn(schema.payload, OS[p]))) {
        const { requestType, command } = make(p);
        expect(requestType).toBe(type);
        expect(command.RequestType).toBe(type);
        const { RequestType: _, ...keys } = command;
        expect(checkDict(keys, schema.payloadkeys ?? [], { os: OS[p], requireKeys: true }), `${type} on ${p}`).toEqual([]);
      }
    }
  });

  it("refuses exactly the platforms the YAML marks n/a", () => {
    for (const [type, make] of Object.entries(FULL) as [RequestType, (p: ApplePlatform) => BuiltCommand][]) {
      const schema = schemas.get(type)!;
      for (const p of PLATFORMS) {
        const expected = supportedOn(schema.payload, OS[p]) ? "no error" : "mdm.notSupported";
        const got = refusal(() => make(p));
        expect(got.code, `${type} on ${p}`).toBe(expected);
        if (expected !== "no error") expect(got.params).toEqual({ command: type, platform: p });
        expect(COMMAND_INFO[type].platforms.includes(p), `COMMAND_INFO ${type} ${p}`).toBe(expected === "no error");
      }
    }
  });

  it("records supervision and access rights as the YAML does", () => {
    for (const [type, info] of Object.entries(COMMAND_INFO)) {
      const ios = schemas.get(type)!.payload.supportedOS.iOS!;
      expect(info.iosSupervised, type).toBe(ios.supervised === true);
      const right = ios.accessrights ?? schemas.get(type)!.payload.supportedOS.macOS?.accessrights;
      expect(right! in RIGHTS, `${type}: ${right}`).toBe(true);
      expect(info.accessRight, type).toBe(RIGHTS[right!]);
    }
  });

  it("asks each platform only DeviceInformation queries it answers", () => {
    const schema = schemas.get("DeviceInformation")!;
    const queries = schema.payloadkeys!.find((k) => k.key === "Queries")!.subkeys![0]!.subkeys!;
    for (const p of PLATFORMS) {
      for (const q of DEFAULT_QUERIES[p]) {
        const def = queries.find((d) => d.key === q);
        expect(def, `${q} is a query`).toBeDefined();
        expect(supportedOn(def!, OS[p]), `${q} on ${p}`).toBe(true);
      }
    }
    expect(DEFAULT_QUERIES.IOS).toEqual(expect.arrayContaining(["PhoneNumber", "ServiceSubscriptions", "IMEI", "MEID", "IsSupervised", "WiFiMAC", "BluetoothMAC", "IsActivationLockEnabled", "UDID"]));
    expect(DEFAULT_QUERIES.MACOS).toEqual(expect.arrayContaining(["PINRequiredForDeviceLock", "PINRequiredForEraseDevice", "EthernetMAC"]));
  });

  it("a device name is trimmed, needed, and at most 63 characters", () => {
    expect(deviceName("IOS", { name: "  田中の iPhone \n" }).command.Settings).toEqual([{ Item: "DeviceName", DeviceName: "田中の iPhone" }]);
    expect(refusal(() => deviceName("MACOS", { name: "   " })).code).toBe("mdm.deviceNameRequired");
    expect(refusal(() => deviceName("IOS", { name: "あ".repeat(64) })).code).toBe("mdm.deviceNameTooLong");
    expect(deviceName("IOS", { name: "あ".repeat(63) }).command.RequestType).toBe("Settings");
    expect(refusal(() => deviceName("IOS", { name: "bad\u0001name" })).code).toBe("mdm.invalidText");
  });

  it("the schema checker itself catches mistakes", () => {
    const keys = schemas.get("DeviceLock")!.payloadkeys!;
    expect(checkDict({ Message: 1 }, keys, { os: "iOS" })).toEqual(["Message: <integer> where Apple has <string>"]);
    expect(checkDict({ PIN: "123456" }, keys, { os: "iOS" })).toEqual(["PIN: not available on iOS"]);
    expect(checkDict({ Pin: "123456" }, keys, { os: "macOS" })).toEqual(["Pin: not defined by Apple"]);
    const settings = schemas.get("Settings")!.payloadkeys!;
    expect(checkDict({ Settings: [{ Item: "DeviceName" }] }, settings, { os: "iOS", requireKeys: true })).toEqual(["Settings[0](DeviceName).DeviceName: required but missing"]);
    expect(checkDict({ Settings: [{ Item: "Nope" }] }, settings, { os: "iOS" })).toEqual(["Settings[0]: Item Nope is not one Apple defines"]);
    expect(checkDict({ Settings: [{ Item: "HostName", HostName: "mac-1" }] }, settings, { os: "iOS" })).toEqual(["Settings[0](HostName): not available on iOS"]);
    const info = schemas.get("DeviceInformation")!.payloadkeys!;
    expect(checkDict({ Queries: ["IMEI", "Nope"] }, info, { os: "macOS" })).toEqual([
      "Queries[0]: IMEI not available on macOS",
      "Queries[1]: Nope is not a value Apple defines",
    ]);
    expect(checkDict({}, schemas.get("RemoveProfile")!.payloadkeys!, { os: "iOS", requireKeys: true })).toEqual(["Identifier: required but missing"]);
  });
});

describe("command builders", () => {
  it("build the command dictionary and its envelope", () => {
    const lock = deviceLock("IOS", { message: "  会議室に置き忘れ  ", phoneNumber: "" });
    expect(lock).toEqual({ requestType: "DeviceLock", command: { RequestType: "DeviceLock", Message: "会議室に置き忘れ" } });
    const env = envelope("0F4E2B7A-6C1D-4E3F-9A8B-2C5D7E9F1A3B", lock.command);
    expect(env).toEqual({ CommandUUID: "0F4E2B7A-6C1D-4E3F-9A8B-2C5D7E9F1A3B", Command: lock.command });
    expect(parsePlist(Buffer.from(buildPlist(env)))).toEqual(env);

    const clear = clearPasscode("IOS", { unlockToken: UNLOCK });
    const back = parsePlist(Buffer.from(buildPlist(envelope("C1", clear.command))));
    expect((back.Command as PlistDict).UnlockToken).toEqual(UNLOCK);
    expect(() => envelope("", clear.command)).toThrow(TypeError);
  });

  it("needs a six-digit PIN to lock or erase a Mac", () => {
    for (const make of [(pin?: string) => deviceLock("MACOS", { pin }), (pin?: string) => eraseDevice("MACOS", { pin })]) {
      expect(refusal(() => make()).code).toBe("mdm.pinRequired");
      expect(refusal(() => make("   ")).code).toBe("mdm.pinRequired");
      for (const bad of ["12345", "1234567", "abcdef", "12 456", "１２３４５"]) expect(refusal(() => make(bad)).code, bad).toBe("mdm.pinInvalid");
      expect(make(" 482913 ").command.PIN).toBe("482913");
      expect(make("４８２９１３").command.PIN).toBe("482913"); // full-width digits from a Japanese IME
    }
  });

  it("refuses options that do not exist on the platform", () => {
    expect(refusal(() => deviceLock("IOS", { pin: "482913" }))).toEqual({ code: "mdm.optionNotSupported", params: { command: "DeviceLock", option: "PIN", platform: "IOS" } });
    expect(deviceLock("IOS", { pin: "" }).command.PIN).toBeUndefined();
    expect(refusal(() => eraseDevice("MACOS", { pin: "482913", preserveDataPlan: true }))).toEqual({
      code: "mdm.optionNotSupported",
      params: { command: "EraseDevice", option: "PreserveDataPlan", platform: "MACOS" },
    });
    expect(refusal(() => eraseDevice("IOS", { obliterationBehavior: "Always" })).code).toBe("mdm.optionNotSupported");
    expect(refusal(() => restartDevice("IOS", { notifyUser: true })).code).toBe("mdm.optionNotSupported");
    expect(eraseDevice("IOS").command).toEqual({ RequestType: "EraseDevice" });
  });

  it("lost mode needs a message or a phone number", () => {
    expect(refusal(() => enableLostMode("IOS", {})).code).toBe("mdm.lostModeNeedsMessage");
    expect(refusal(() => enableLostMode("IOS", { message: "  ", phoneNumber: "", footnote: "only a footnote" })).code).toBe("mdm.lostModeNeedsMessage");
    expect(enableLostMode("IOS", { phoneNumber: "090-1234-5678" }).command).toEqual({ RequestType: "EnableLostMode", PhoneNumber: "090-1234-5678" });
    expect(refusal(() => enableLostMode("MACOS", { message: "x" }))).toEqual({ code: "mdm.notSupported", params: { command: "EnableLostMode", platform: "MACOS" } });
  });

  it("refuses missing inputs with codes the portal can show", () => {
    expect(refusal(() => clearPasscode("IOS", { unlockToken: null })).code).toBe("mdm.unlockTokenMissing");
    expect(refusal(() => clearPasscode("IOS", { unlockToken: Buffer.alloc(0) })).code).toBe("mdm.unlockTokenMissing");
    expect(refusal(() => installProfile("IOS", { payload: Buffer.alloc(0) })).code).toBe("mdm.profileInvalid");
    expect(refusal(() => installProfile("IOS", { payload: Buffer.from("PK\u0003\u0004 a zip file") })).code).toBe("mdm.profileInvalid");
    expect(installProfile("IOS", { payload: Buffer.from([0x30, 0x82, 0x01, 0x00]) }).command.Payload).toBeInstanceOf(Buffer);
    expect(refusal(() => removeProfile("IOS", { identifier: " " })).code).toBe("mdm.profileIdentifierRequired");
    expect(refusal(() => deviceLock("IOS", { message: "bell\u0007" }))).toEqual({ code: "mdm.invalidText", params: { field: "Message" } });
  });

  it("limits the app list to the keys it stores on iOS only", () => {
    expect(installedApplicationList("IOS").command.Items).toEqual(["Identifier", "Name", "Version", "ShortVersion", "BundleSize", "DynamicSize", "Installing"]);
    expect(installedApplicationList("MACOS").command).toEqual({ RequestType: "InstalledApplicationList" });
  });
});

describe("results against Apple's YAML", () => {
  const schemas = schemasIn("commands");
  const cases: [string, RequestType, AppleOS][] = [
    ["result-deviceinformation-iphone.plist", "DeviceInformation", "iOS"],
    ["result-deviceinformation-mac.plist", "DeviceInformation", "macOS"],
    ["result-securityinfo-iphone.plist", "SecurityInfo", "iOS"],
    ["result-securityinfo-mac.plist", "SecurityInfo", "macOS"],
    ["result-installedapplicationlist-iphone.plist", "InstalledApplicationList", "iOS"],
    ["result-certificatelist-iphone.plist", "CertificateList", "iOS"],
    ["result-profilelist-iphone.plist", "ProfileList", "iOS"],
    ["result-devicelocation-iphone.plist", "DeviceLocation", "iOS"],
  ];

  it("fixtures answer with keys Apple defines, with Apple's types", () => {
    for (const [name, type, os] of cases) {
      expect(checkDict(response(name), schemas.get(type)!.responsekeys!, { os, requireKeys: true }), name).toEqual([]);
    }
  });
});

describe("parseResult", () => {
  it("normalizes an iPhone's DeviceInformation for the device record", () => {
    expect(parseResult("DeviceInformation", response("result-deviceinformation-iphone.plist"))).toEqual({
      udid: "00008110-001A2C3E0E81801E",
      name: "営業部 iPhone 12",
      osVersion: "18.1",
      buildVersion: "22B83",
      model: "MQ9T3",
      modelName: "iPhone",
      modelNumber: "MQ9T3J/A",
      productName: "iPhone15,2",
      serialNumber: "F4GXK2M9Q7",
      imei: "356882114829731",
      meid: "35688211482973",
      phoneNumber: "+81 90-1234-5678", // iOS 16+: from the first SIM that has a number
      capacityGb: 128,
      availableGb: 61.53,
      batteryLevel: 0.8199999928474426,
      supervised: true,
      wifiMac: "a4:c3:37:5e:21:9a",
      bluetoothMac: "a4:c3:37:5e:21:9b",
      activationLockEnabled: false,
      findMyEnabled: true,
      lostModeEnabled: false,
      awaitingConfiguration: false,
    });
  });

  it("normalizes a Mac's DeviceInformation, including whether it needs a PIN", () => {
    expect(parseResult("DeviceInformation", response("result-deviceinformation-mac.plist"))).toMatchObject({
      name: "山田のMacBook Air",
      model: "Mac15,12",
      modelName: "MacBook Air",
      capacityGb: 494.38,
      availableGb: 312.47,
      batteryLevel: 0.64,
      supervised: true,
      appleSilicon: true,
      pinRequiredForLock: false,
      pinRequiredForErase: false,
    });
  });

  it("drops unknown battery levels and values of the wrong type instead of failing", () => {
    const r = parseResult("DeviceInformation", { QueryResponses: { BatteryLevel: -1, DeviceName: 7, IsSupervised: "yes", OSVersion: "18.1" } });
    expect(r).toEqual({ osVersion: "18.1" });
    expect(refusal(() => parseResult("DeviceInformation", {}))).toEqual({ code: "mdm.invalidMessage", params: { field: "QueryResponses" } });
  });

  it("summarizes SecurityInfo for iOS and macOS", () => {
    expect(parseResult("SecurityInfo", response("result-securityinfo-iphone.plist"))).toEqual({
      passcodePresent: true,
      passcodeCompliant: true,
      passcodeCompliantWithProfiles: true,
      hardwareEncryptionCaps: 3,
      dataProtection: true,
      userEnrollment: false,
    });
    expect(parseResult("SecurityInfo", response("result-securityinfo-mac.plist"))).toEqual({
      fileVaultEnabled: true,
      fileVaultPersonalRecoveryKey: true,
      fileVaultInstitutionalRecoveryKey: false,
      systemIntegrityProtection: true,
      firewallEnabled: true,
      firewallBlockAllIncoming: false,
      firewallStealthMode: true,
      firmwarePasswordExists: false,
      enrolledViaDep: true,
      userApprovedEnrollment: true,
      userEnrollment: false,
      activationLockManageable: true,
      secureBootLevel: "full",
      externalBootLevel: "disallowed",
      authenticatedRootVolume: true,
      remoteDesktopEnabled: false,
      bootstrapTokenAllowedForAuthentication: "allowed",
      recoveryLockEnabled: false,
    });
  });

  it("lists installed apps", () => {
    const apps = parseResult("InstalledApplicationList", response("result-installedapplicationlist-iphone.plist"));
    expect(apps).toHaveLength(3);
    expect(apps[1]).toEqual({ identifier: "jp.naver.line", name: "LINE", version: "14.19.0.1", shortVersion: "14.19.0", bundleSize: 301989888, dynamicSize: 96468992, installing: false });
    expect(apps[2]).toMatchObject({ name: "経費精算", installing: true });
  });

  it("lists profiles with their payloads", () => {
    const profiles = parseResult("ProfileList", response("result-profilelist-iphone.plist"));
    expect(profiles.map((p) => p.identifier)).toEqual(["com.example.mamori.enroll", "com.example.wifi"]);
    expect(profiles[0]).toMatchObject({ displayName: "Example Corp MDM", managed: true, signed: true, encrypted: false, version: 1, removalDisallowed: false });
    expect(profiles[0]!.payloads.map((p) => p.type)).toEqual(["com.apple.security.root", "com.apple.security.scep", "com.apple.mdm"]);
    expect(profiles[1]).toMatchObject({ displayName: "社内 Wi-Fi", signed: false });
  });

  it("describes listed certificates with lib/pki/x509, keeping unreadable ones", () => {
    const raw = response("result-certificatelist-iphone.plist").CertificateList as PlistDict[];
    const certs = parseResult("CertificateList", response("result-certificatelist-iphone.plist"));
    const identity = describeDer(raw[1]!.Data as Buffer);
    expect(certs[0]).toMatchObject({ commonName: "Mamori Device CA", isIdentity: false, subject: "CN=Mamori Device CA, O=Example Corp", readable: true });
    expect(certs[1]).toEqual({
      commonName: "00008110-001A2C3E0E81801E",
      isIdentity: true,
      subject: "CN=00008110-001A2C3E0E81801E, O=Example Corp",
      issuer: "CN=Mamori Device CA, O=Example Corp",
      serial: "5A17C0DE01",
      notBefore: identity.notBefore,
      notAfter: identity.notAfter,
      fingerprintSha256: identity.fingerprintSha256,
      readable: true,
    });
    expect(certs[2]).toEqual({ commonName: "Broken", isIdentity: false, readable: false });
  });

  it("reads a location, dropping unknown (negative) accuracies, speed and course", () => {
    expect(parseResult("DeviceLocation", response("result-devicelocation-iphone.plist"))).toEqual({
      latitude: 35.681236,
      longitude: 139.767125,
      horizontalAccuracy: 12,
      verticalAccuracy: 8,
      altitude: 38.5,
      timestamp: new Date("2026-11-20T09:41:27Z"),
    });
    expect(parseResult("DeviceLocation", { Latitude: 35, Longitude: 139, VerticalAccuracy: -1, Altitude: -12, Timestamp: "garbage" })).toEqual({ latitude: 35, longitude: 139 });
    expect(refusal(() => parseResult("DeviceLocation", { Longitude: 139 })).params).toEqual({ field: "Latitude" });
    expect(refusal(() => parseResult("DeviceLocation", { Latitude: 35, Longitude: 200 })).params).toEqual({ field: "Longitude" });
  });

  it("gives {} for commands whose answer carries nothing to store", () => {
    expect(parseResult("DeviceLock", { MessageResult: "Success" })).toEqual({});
    expect(parseResult("EraseDevice", {})).toEqual({});
  });
});

describe("parseErrorChain", () => {
  it("prefers the device's language and keeps the US English text", () => {
    const chain = parseErrorChain(load("result-error-installprofile-iphone.plist").ErrorChain);
    expect(chain[0]).toEqual({
      code: 4001,
      domain: "MCInstallationErrorDomain",
      description: "プロファイル“社内 Wi-Fi”をインストールできませんでした。",
      usEnglishDescription: "The profile “社内 Wi-Fi” could not be installed.",
    });
  });

  it("copes with partial or odd chains", () => {
    expect(parseErrorChain([{ ErrorCode: 12021, ErrorDomain: "MCMDMErrorDomain", USEnglishDescription: "Device is locked" }])).toEqual([
      { code: 12021, domain: "MCMDMErrorDomain", description: "Device is locked", usEnglishDescription: "Device is locked" },
    ]);
    expect(parseErrorChain([{ ErrorCode: "x" }, "junk", 3])).toEqual([{ code: null, domain: null, description: null }]);
    expect(parseErrorChain(undefined)).toEqual([]);
    expect(parseErrorChain("boom")).toEqual([]);
  });
});
