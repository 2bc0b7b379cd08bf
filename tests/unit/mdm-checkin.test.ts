import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CheckinMessage, isUserChannel, parseCheckin, parseConnect } from "@/lib/mdm/checkin";
import { type PlistDict, parsePlist } from "@/lib/mdm/plist";
import { checkDict, schemasIn, supportedOn, type YamlKey } from "@/tests/support/apple-schema";
import { refusal } from "@/tests/support/refusal";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/mdm");
const load = (name: string): PlistDict => parsePlist(readFileSync(path.join(FIXTURES, name)));
const TOPIC = "com.apple.mgmt.External.3f1c9a0e-5b2d-4e8f-a6c7-9d0e1f2a3b4c";
const IPHONE = "00008110-001A2C3E0E81801E";
const MAC = "5E2F7A1C-3B4D-5C6E-8F90-A1B2C3D4E5F6";


function as<T extends CheckinMessage["messageType"]>(m: CheckinMessage, t: T): Extract<CheckinMessage, { messageType: T }> {
  expect(m.messageType).toBe(t);
  return m as Extract<CheckinMessage, { messageType: T }>;
}

const CHECKIN_FIXTURES: [string, "iOS" | "macOS"][] = [
  ["authenticate-iphone.plist", "iOS"],
  ["authenticate-mac.plist", "macOS"],
  ["tokenupdate-iphone.plist", "iOS"],
  ["tokenupdate-mac-user.plist", "macOS"],
  ["tokenupdate-user-enrollment.plist", "iOS"],
  ["checkout-iphone.plist", "iOS"],
  ["getbootstraptoken-mac.plist", "macOS"],
  ["setbootstraptoken-mac.plist", "macOS"],
  ["declarativemanagement-iphone.plist", "iOS"],
];

describe("parseCheckin", () => {
  it("reads an iPhone's Authenticate", () => {
    const m = as(parseCheckin(load("authenticate-iphone.plist")), "Authenticate");
    expect(m).toMatchObject({
      udid: IPHONE,
      topic: TOPIC,
      serialNumber: "F4GXK2M9Q7",
      osVersion: "18.1",
      buildVersion: "22B83",
      productName: "iPhone15,2",
      imei: "356882114829731", // Apple's spaced form, compacted
      meid: "35688211482973",
    });
    expect(m.deviceName).toBeUndefined();
    expect(m.enrollmentId).toBeUndefined();
  });

  it("reads a Mac's Authenticate with the macOS-only name and model", () => {
    const m = as(parseCheckin(load("authenticate-mac.plist")), "Authenticate");
    expect(m).toMatchObject({ udid: MAC, deviceName: "山田のMacBook Air", model: "Mac15,12", modelName: "MacBook Air", serialNumber: "H7X9Q2W4LM" });
    expect(m.imei).toBeUndefined();
  });

  it("reads a TokenUpdate: hex token, push magic and the unlock token bytes", () => {
    const raw = load("tokenupdate-iphone.plist");
    const m = as(parseCheckin(raw), "TokenUpdate");
    expect(m.token).toBe((raw.Token as Buffer).toString("hex"));
    expect(m.token).toMatch(/^[0-9a-f]{64}$/);
    expect(m.pushMagic).toBe("7C1B4E2A-9D3F-4A6B-8E5C-0F2D1A3B4C5D");
    expect(m.unlockToken?.equals(raw.UnlockToken as Buffer)).toBe(true);
    expect(m.awaitingConfiguration).toBe(false);
    expect(isUserChannel(m)).toBe(false);
  });

  it("reads a macOS user-channel TokenUpdate", () => {
    const m = as(parseCheckin(load("tokenupdate-mac-user.plist")), "TokenUpdate");
    expect(m).toMatchObject({
      udid: MAC,
      userId: "8C3D1E5F-2A4B-4C6D-9E8F-0A1B2C3D4E5F",
      userShortName: "tyamada",
      userLongName: "山田 太郎",
      notOnConsole: false,
      awaitingConfiguration: false,
    });
    expect(m.unlockToken).toBeUndefined();
    expect(isUserChannel(m)).toBe(true);
  });

  it("names a User Enrollment by its EnrollmentID", () => {
    const m = as(parseCheckin(load("tokenupdate-user-enrollment.plist")), "TokenUpdate");
    expect(m.enrollmentId).toBe("A1C3E5F7-0B2D-4F6A-8C9E-1D3F5A7B9C0E");
    expect(m.udid).toBeUndefined();
  });

  it("reads CheckOut and the bootstrap token messages", () => {
    expect(parseCheckin(load("checkout-iphone.plist"))).toEqual({ messageType: "CheckOut", udid: IPHONE, topic: TOPIC });
    expect(parseCheckin(load("getbootstraptoken-mac.plist"))).toEqual({ messageType: "GetBootstrapToken", udid: MAC, awaitingConfiguration: true });
    const set = as(parseCheckin(load("setbootstraptoken-mac.plist")), "SetBootstrapToken");
    expect(set.bootstrapToken?.length).toBe(64);
    // Missing or empty BootstrapToken means "delete the escrowed one".
    const { BootstrapToken: _, ...withoutToken } = load("setbootstraptoken-mac.plist");
    expect(as(parseCheckin(withoutToken), "SetBootstrapToken").bootstrapToken).toBeNull();
    expect(as(parseCheckin({ ...withoutToken, BootstrapToken: Buffer.alloc(0) }), "SetBootstrapToken").bootstrapToken).toBeNull();
  });

  it("keeps messages Mamori does not implement as unsupported, with their type", () => {
    expect(parseCheckin(load("declarativemanagement-iphone.plist"))).toEqual({ messageType: "DeclarativeManagement", udid: IPHONE, unsupported: true });
    for (const t of ["UserAuthenticate", "GetToken"]) {
      expect(parseCheckin({ MessageType: t, UDID: MAC, UserID: "8C3D1E5F-2A4B-4C6D-9E8F-0A1B2C3D4E5F" })).toMatchObject({ messageType: t, unsupported: true });
    }
  });

  it("refuses unknown or missing MessageType", () => {
    expect(refusal(() => parseCheckin({ MessageType: "OldManYellsAtCloud", UDID: IPHONE }))).toEqual({ code: "mdm.invalidMessage", params: { field: "MessageType" } });
    expect(refusal(() => parseCheckin({ UDID: IPHONE }))).toEqual({ code: "mdm.invalidMessage", params: { field: "MessageType" } });
  });

  it("refuses a message naming no device, or with an unusable identifier", () => {
    const { UDID: _, ...noId } = load("authenticate-iphone.plist");
    expect(refusal(() => parseCheckin(noId))).toEqual({ code: "mdm.invalidMessage", params: { field: "UDID" } });
    expect(refusal(() => parseCheckin({ ...noId, UDID: "has space" }))).toEqual({ code: "mdm.invalidMessage", params: { field: "UDID" } });
    expect(refusal(() => parseCheckin({ ...noId, EnrollmentID: "" }))).toEqual({ code: "mdm.invalidMessage", params: { field: "EnrollmentID" } });
  });

  it("refuses keys of the wrong type, naming the key", () => {
    const tu = load("tokenupdate-iphone.plist");
    expect(refusal(() => parseCheckin({ ...tu, Token: "not data" }))).toEqual({ code: "mdm.invalidMessage", params: { field: "Token" } });
    expect(refusal(() => parseCheckin({ ...tu, Token: Buffer.alloc(0) }))).toEqual({ code: "mdm.invalidMessage", params: { field: "Token" } });
    expect(refusal(() => parseCheckin({ ...tu, Topic: 1 }))).toEqual({ code: "mdm.invalidMessage", params: { field: "Topic" } });
    expect(refusal(() => parseCheckin({ ...tu, AwaitingConfiguration: "false" }))).toEqual({ code: "mdm.invalidMessage", params: { field: "AwaitingConfiguration" } });
    expect(refusal(() => parseCheckin({ ...tu, UnlockToken: "x" }))).toEqual({ code: "mdm.invalidMessage", params: { field: "UnlockToken" } });
  });

  it("refuses a string longer than any Apple sends (it would overflow the column's index)", () => {
    const tu = load("tokenupdate-iphone.plist");
    expect(parseCheckin({ ...tu, PushMagic: "p".repeat(512) }).messageType).toBe("TokenUpdate");
    expect(refusal(() => parseCheckin({ ...tu, Topic: "t".repeat(513) }))).toEqual({ code: "mdm.invalidMessage", params: { field: "Topic" } });
    expect(refusal(() => parseConnect({ Status: "Idle", UDID: "U".repeat(600) }))).toEqual({ code: "mdm.invalidMessage", params: { field: "UDID" } });
  });
});

describe("check-in messages against Apple's YAML", () => {
  const schemas = schemasIn("checkin");

  it("fixtures use only keys Apple defines for their message, with Apple's types", () => {
    for (const [name, os] of CHECKIN_FIXTURES) {
      const msg = load(name);
      const schema = schemas.get(msg.MessageType as string);
      expect(schema, name).toBeDefined();
      // GetBootstrapToken/SetBootstrapToken YAML lists no UDID, yet devices identify themselves with it.
      expect(checkDict(msg, schema!.payloadkeys!, { os, extraKeys: ["UDID"] }), name).toEqual([]);
    }
  });

  it("every MessageType in the YAML is either parsed or kept as unsupported", () => {
    for (const [type, schema] of schemas) {
      const msg: PlistDict = { MessageType: type, UDID: IPHONE, Topic: TOPIC, Token: Buffer.alloc(32, 1), PushMagic: "P" };
      expect(parseCheckin(msg).messageType, schema.title).toBe(type);
    }
  });

  /** Required keys that apply to every device channel on iOS and macOS (not per-platform or per-channel ones). */
  function unconditionallyRequired(keys: YamlKey[]): string[] {
    return keys
      .filter((k) => k.presence === "required" && k.key !== "MessageType")
      .filter((k) => !["UDID", "EnrollmentID"].includes(k.key)) // alternatives, checked separately
      .filter((k) => supportedOn(k, "iOS") && supportedOn(k, "macOS"))
      .filter((k) => !Object.values(k.supportedOS ?? {}).some((os) => os?.devicechannel === false))
      .map((k) => k.key);
  }

  it("a missing required key is refused with that key's name", () => {
    const cases: [string, string[]][] = [
      ["authenticate-iphone.plist", ["Topic"]],
      ["tokenupdate-iphone.plist", ["Topic", "Token", "PushMagic"]],
      ["checkout-iphone.plist", ["Topic"]],
    ];
    for (const [name, expected] of cases) {
      const msg = load(name);
      const required = unconditionallyRequired(schemas.get(msg.MessageType as string)!.payloadkeys!);
      expect(required.sort(), name).toEqual([...expected].sort());
      for (const key of required) {
        const { [key]: _, ...without } = msg;
        expect(refusal(() => parseCheckin(without)), `${name} without ${key}`).toEqual({ code: "mdm.invalidMessage", params: { field: key } });
      }
    }
  });
});

describe("parseConnect", () => {
  it("reads an Idle poll", () => {
    expect(parseConnect(load("connect-idle-iphone.plist"))).toEqual({ status: "Idle", udid: IPHONE, response: {} });
  });

  it("splits an Acknowledged result into the envelope and the response", () => {
    const r = parseConnect(load("result-deviceinformation-mac.plist"));
    expect(r).toMatchObject({ status: "Acknowledged", udid: MAC, commandUuid: "3B8D5F1A-7C9E-4A2B-8D4F-6E1A3C5B7D9F", requestType: "DeviceInformation" });
    expect(Object.keys(r.response)).toEqual(["QueryResponses"]);
    expect(r.errorChain).toBeUndefined();
  });

  it("reads an Error with its ErrorChain", () => {
    const r = parseConnect(load("result-error-installprofile-iphone.plist"));
    expect(r.status).toBe("Error");
    expect(r.commandUuid).toBe("4E6A8C0E-2B4D-4F6A-9B8C-5A7C9E1B3D5F");
    expect(r.errorChain).toEqual([
      {
        code: 4001,
        domain: "MCInstallationErrorDomain",
        description: "プロファイル“社内 Wi-Fi”をインストールできませんでした。",
        usEnglishDescription: "The profile “社内 Wi-Fi” could not be installed.",
      },
      {
        code: 13001,
        domain: "MCWiFiErrorDomain",
        description: "ペイロード“Wi-Fi (Corp)”で必要な証明書が見つかりません。",
        usEnglishDescription: "The certificate required by the payload “Wi-Fi (Corp)” could not be found.",
      },
    ]);
    expect(r.response).toEqual({});
  });

  it("reads NotNow and a user-channel result", () => {
    expect(parseConnect(load("result-notnow-mac.plist"))).toEqual({ status: "NotNow", udid: MAC, commandUuid: "7B9D1F3A-5C7E-4A9B-8D1F-3A5C7E9B1D2E", response: {} });
    const r = parseConnect(load("result-deviceinformation-mac-user.plist"));
    expect(r).toMatchObject({ udid: MAC, userId: "8C3D1E5F-2A4B-4C6D-9E8F-0A1B2C3D4E5F", userShortName: "tyamada", userLongName: "山田 太郎" });
    expect(isUserChannel(r)).toBe(true);
    expect(Object.keys(r.response)).toEqual(["QueryResponses"]);
  });

  it("accepts a CommandFormatError that could not name the command", () => {
    expect(parseConnect({ Status: "CommandFormatError", UDID: IPHONE })).toEqual({ status: "CommandFormatError", udid: IPHONE, response: {} });
  });

  it("refuses bad statuses and results without a CommandUUID", () => {
    expect(refusal(() => parseConnect({ UDID: IPHONE }))).toEqual({ code: "mdm.invalidMessage", params: { field: "Status" } });
    expect(refusal(() => parseConnect({ Status: "Done", UDID: IPHONE }))).toEqual({ code: "mdm.invalidMessage", params: { field: "Status" } });
    for (const Status of ["Acknowledged", "Error", "NotNow"]) {
      expect(refusal(() => parseConnect({ Status, UDID: IPHONE })), Status).toEqual({ code: "mdm.invalidMessage", params: { field: "CommandUUID" } });
    }
    expect(refusal(() => parseConnect({ Status: "Idle" }))).toEqual({ code: "mdm.invalidMessage", params: { field: "UDID" } });
    // Mamori only sends UUIDs: anything else would name no command (and must never reach SQL).
    for (const CommandUUID of ["x' OR '1'='1", "-".repeat(36), "C"]) {
      expect(refusal(() => parseConnect({ Status: "Acknowledged", UDID: IPHONE, CommandUUID })), CommandUUID).toEqual({ code: "mdm.invalidMessage", params: { field: "CommandUUID" } });
    }
    // A CommandFormatError may echo what the device could not read: it then names nothing.
    expect(parseConnect({ Status: "CommandFormatError", UDID: IPHONE, CommandUUID: "garbage" }).commandUuid).toBeUndefined();
    expect(refusal(() => parseConnect({ Status: "Error", UDID: IPHONE, CommandUUID: "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", ErrorChain: "boom" }))).toEqual({
      code: "mdm.invalidMessage",
      params: { field: "ErrorChain" },
    });
  });
});
