import { UserError } from "@/lib/errors";
import { type PlistInput, isXmlText } from "@/lib/mdm/plist";

export { parseErrorChain, parseResult } from "@/lib/mdm/results";
export type {
  CertificateSummary,
  DeviceInfo,
  DeviceLocation,
  ErrorChainItem,
  InstalledApp,
  ParsedResult,
  ProfileSummary,
  ResultMap,
  SecuritySummary,
} from "@/lib/mdm/results";

// One builder per command the portal sends. Keys, types and platform limits follow Apple's
// mdm/commands/*.yaml (tests/unit/mdm-commands.test.ts checks them against the YAML).
// Secrets in a command (PIN, UnlockToken, Payload) are sealed by lib/mdm/queue.ts.

export type ApplePlatform = "IOS" | "MACOS";

export type CommandDict = { RequestType: string; [key: string]: PlistInput };

export interface BuiltCommand<R extends string = string> {
  requestType: R;
  command: CommandDict & { RequestType: R };
}

// MDM payload AccessRights bits (com.apple.mdm.yaml).
export const ACCESS_RIGHTS = {
  inspectProfiles: 1,
  installRemoveProfiles: 2,
  lockAndPasscodeRemoval: 4,
  erase: 8,
  deviceInformation: 16,
  networkInformation: 32,
  applications: 256,
  security: 1024,
  settings: 2048,
} as const;

const BOTH: readonly ApplePlatform[] = ["IOS", "MACOS"];
const IOS: readonly ApplePlatform[] = ["IOS"];
const R = ACCESS_RIGHTS;

/** Where each command applies; iosSupervised: iOS refuses it on unsupervised devices. */
export const COMMAND_INFO = {
  DeviceInformation: { platforms: BOTH, iosSupervised: false, accessRight: null },
  SecurityInfo: { platforms: BOTH, iosSupervised: false, accessRight: R.security },
  InstalledApplicationList: { platforms: BOTH, iosSupervised: false, accessRight: R.applications },
  ProfileList: { platforms: BOTH, iosSupervised: false, accessRight: R.inspectProfiles },
  CertificateList: { platforms: BOTH, iosSupervised: false, accessRight: R.inspectProfiles },
  DeviceLock: { platforms: BOTH, iosSupervised: false, accessRight: R.lockAndPasscodeRemoval },
  ClearPasscode: { platforms: IOS, iosSupervised: false, accessRight: R.lockAndPasscodeRemoval },
  EraseDevice: { platforms: BOTH, iosSupervised: false, accessRight: R.erase },
  EnableLostMode: { platforms: IOS, iosSupervised: true, accessRight: null },
  DisableLostMode: { platforms: IOS, iosSupervised: true, accessRight: null },
  DeviceLocation: { platforms: IOS, iosSupervised: true, accessRight: null },
  PlayLostModeSound: { platforms: IOS, iosSupervised: true, accessRight: null },
  RestartDevice: { platforms: BOTH, iosSupervised: true, accessRight: R.lockAndPasscodeRemoval },
  InstallProfile: { platforms: BOTH, iosSupervised: false, accessRight: R.installRemoveProfiles },
  RemoveProfile: { platforms: BOTH, iosSupervised: false, accessRight: R.installRemoveProfiles },
  // The command is not supervised-only; some of its items are (DeviceName on iOS: see deviceName).
  Settings: { platforms: BOTH, iosSupervised: false, accessRight: R.settings },
} as const satisfies Record<string, { platforms: readonly ApplePlatform[]; iosSupervised: boolean; accessRight: number | null }>;

export type RequestType = keyof typeof COMMAND_INFO;

// DeviceInformation: per query, rights 16 (device) or 32 (network); unknown queries are ignored
// by the device, so each list only asks what that platform answers.
const COMMON_QUERIES = [
  "UDID",
  "DeviceName",
  "OSVersion",
  "BuildVersion",
  "SupplementalOSVersionExtra",
  "ModelName",
  "Model",
  "ModelNumber",
  "ProductName",
  "SerialNumber",
  "DeviceCapacity",
  "AvailableDeviceCapacity",
  "BatteryLevel",
  "IsSupervised",
  "WiFiMAC",
  "BluetoothMAC",
  "IsActivationLockEnabled",
  "AwaitingConfiguration",
];
export const DEFAULT_QUERIES: Record<ApplePlatform, readonly string[]> = {
  // PhoneNumber/IMEI/MEID are deprecated since iOS 16; ServiceSubscriptions carries them per SIM.
  IOS: [...COMMON_QUERIES, "IMEI", "MEID", "PhoneNumber", "ServiceSubscriptions", "IsDeviceLocatorServiceEnabled", "IsMDMLostModeEnabled"],
  MACOS: [...COMMON_QUERIES, "EthernetMAC", "IsAppleSilicon", "PINRequiredForDeviceLock", "PINRequiredForEraseDevice"],
};

// iOS 14+ returns only these app keys when asked (fewer keys = less work on the device).
const APP_ITEMS = ["Identifier", "Name", "Version", "ShortVersion", "BundleSize", "DynamicSize", "Installing"];

export const OBLITERATION_BEHAVIORS = ["Default", "DoNotObliterate", "ObliterateWithWarning", "Always"] as const;

export function deviceInformation(platform: ApplePlatform, opts: { queries?: readonly string[] } = {}) {
  supported("DeviceInformation", platform);
  const queries = opts.queries ? [...new Set(opts.queries)] : [...DEFAULT_QUERIES[platform]];
  if (queries.length === 0 || queries.some((q) => !q || !isXmlText(q))) throw new TypeError("DeviceInformation: bad Queries");
  return build("DeviceInformation", { Queries: queries });
}

export function securityInfo(platform: ApplePlatform) {
  supported("SecurityInfo", platform);
  return build("SecurityInfo", {});
}

export function installedApplicationList(
  platform: ApplePlatform,
  opts: { identifiers?: readonly string[]; managedAppsOnly?: boolean } = {},
) {
  supported("InstalledApplicationList", platform);
  return build("InstalledApplicationList", {
    Identifiers: opts.identifiers?.length ? opts.identifiers.map((id, i) => required(`Identifiers[${i}]`, id)) : undefined,
    ManagedAppsOnly: opts.managedAppsOnly,
    Items: platform === "IOS" ? APP_ITEMS : undefined,
  });
}

export function profileList(platform: ApplePlatform, opts: { managedOnly?: boolean } = {}) {
  supported("ProfileList", platform);
  return build("ProfileList", { ManagedOnly: opts.managedOnly });
}

export function certificateList(platform: ApplePlatform, opts: { managedOnly?: boolean } = {}) {
  supported("CertificateList", platform);
  return build("CertificateList", { ManagedOnly: opts.managedOnly });
}

/** macOS needs the Find My PIN: without it nobody can unlock the Mac again. */
export function deviceLock(platform: ApplePlatform, opts: { message?: string; phoneNumber?: string; pin?: string } = {}) {
  supported("DeviceLock", platform);
  return build("DeviceLock", {
    Message: text("Message", opts.message),
    PhoneNumber: text("PhoneNumber", opts.phoneNumber),
    PIN: pinFor("DeviceLock", platform, opts.pin),
  });
}

/** iOS only; the UnlockToken comes from the device's TokenUpdate. */
export function clearPasscode(platform: ApplePlatform, opts: { unlockToken?: Buffer | null }) {
  supported("ClearPasscode", platform);
  if (!opts.unlockToken || opts.unlockToken.length === 0) throw new UserError("mdm.unlockTokenMissing");
  return build("ClearPasscode", { UnlockToken: opts.unlockToken });
}

export function eraseDevice(
  platform: ApplePlatform,
  opts: {
    pin?: string;
    preserveDataPlan?: boolean;
    disallowProximitySetup?: boolean;
    obliterationBehavior?: (typeof OBLITERATION_BEHAVIORS)[number];
  } = {},
) {
  supported("EraseDevice", platform);
  const iosOnly = { preserveDataPlan: "PreserveDataPlan", disallowProximitySetup: "DisallowProximitySetup" } as const;
  for (const [k, key] of Object.entries(iosOnly)) onlyOn("IOS", "EraseDevice", key, platform, opts[k as keyof typeof iosOnly]);
  onlyOn("MACOS", "EraseDevice", "ObliterationBehavior", platform, opts.obliterationBehavior);
  if (opts.obliterationBehavior !== undefined && !OBLITERATION_BEHAVIORS.includes(opts.obliterationBehavior)) {
    throw new TypeError(`EraseDevice: bad ObliterationBehavior ${String(opts.obliterationBehavior)}`);
  }
  return build("EraseDevice", {
    PIN: pinFor("EraseDevice", platform, opts.pin),
    PreserveDataPlan: opts.preserveDataPlan,
    DisallowProximitySetup: opts.disallowProximitySetup,
    ObliterationBehavior: opts.obliterationBehavior,
  });
}

/** Supervised iOS; Apple requires a message or a phone number to show on the Lock Screen. */
export function enableLostMode(platform: ApplePlatform, opts: { message?: string; phoneNumber?: string; footnote?: string }) {
  supported("EnableLostMode", platform);
  const message = text("Message", opts.message);
  const phoneNumber = text("PhoneNumber", opts.phoneNumber);
  if (!message && !phoneNumber) throw new UserError("mdm.lostModeNeedsMessage");
  return build("EnableLostMode", { Message: message, PhoneNumber: phoneNumber, Footnote: text("Footnote", opts.footnote) });
}

export function disableLostMode(platform: ApplePlatform) {
  supported("DisableLostMode", platform);
  return build("DisableLostMode", {});
}

/** Answers only while the device is in MDM lost mode. */
export function deviceLocation(platform: ApplePlatform) {
  supported("DeviceLocation", platform);
  return build("DeviceLocation", {});
}

export function playLostModeSound(platform: ApplePlatform) {
  supported("PlayLostModeSound", platform);
  return build("PlayLostModeSound", {});
}

/** notifyUser (macOS 11.3+): ask the user to restart instead of restarting at once. */
export function restartDevice(platform: ApplePlatform, opts: { notifyUser?: boolean } = {}) {
  supported("RestartDevice", platform);
  onlyOn("MACOS", "RestartDevice", "NotifyUser", platform, opts.notifyUser);
  return build("RestartDevice", { NotifyUser: opts.notifyUser });
}

/** Payload: the .mobileconfig bytes, XML or CMS-signed (DER). */
export function installProfile(platform: ApplePlatform, opts: { payload: Buffer }) {
  supported("InstallProfile", platform);
  if (!looksLikeProfile(opts.payload)) throw new UserError("mdm.profileInvalid");
  return build("InstallProfile", { Payload: opts.payload });
}

/** With the enrollment profile's identifier this retires the device (allowed without right 2). */
export function removeProfile(platform: ApplePlatform, opts: { identifier: string }) {
  supported("RemoveProfile", platform);
  const identifier = text("Identifier", opts.identifier);
  if (!identifier) throw new UserError("mdm.profileIdentifierRequired");
  return build("RemoveProfile", { Identifier: identifier });
}

/** Longest device name Mamori sends; Apple sets no limit, the Settings app stops well before. */
export const DEVICE_NAME_MAX = 63;

/**
 * Settings with the DeviceName item: renames the device (supervised iOS, macOS 10.10+). The
 * device answers per item; lib/mdm/service.ts reads an item's Error as the command's.
 */
export function deviceName(platform: ApplePlatform, opts: { name: string }) {
  supported("Settings", platform);
  const name = opts.name?.normalize("NFC").trim();
  if (!name) throw new UserError("mdm.deviceNameRequired");
  if ([...name].length > DEVICE_NAME_MAX) throw new UserError("mdm.deviceNameTooLong", { max: DEVICE_NAME_MAX });
  return build("Settings", { Settings: [{ Item: "DeviceName", DeviceName: required("DeviceName", name) }] });
}

/** The plist dictionary the server answers a connect request with. */
export function envelope(commandUuid: string, command: CommandDict): { CommandUUID: string; Command: CommandDict } {
  if (!/^[\x21-\x7e]{1,128}$/.test(commandUuid)) throw new TypeError("envelope: bad CommandUUID");
  if (!command.RequestType) throw new TypeError("envelope: command without RequestType");
  return { CommandUUID: commandUuid, Command: command };
}

// --- helpers

function build<R extends RequestType>(requestType: R, keys: { [key: string]: PlistInput }): BuiltCommand<R> {
  const command = { RequestType: requestType } as CommandDict & { RequestType: R };
  for (const [k, v] of Object.entries(keys)) if (v !== undefined) command[k] = v;
  return { requestType, command };
}

function supported(command: RequestType, platform: ApplePlatform): void {
  if (!(COMMAND_INFO[command].platforms as readonly string[]).includes(platform)) {
    throw new UserError("mdm.notSupported", { command, platform });
  }
}

function onlyOn(only: ApplePlatform, command: RequestType, option: string, platform: ApplePlatform, value: unknown): void {
  if (value !== undefined && platform !== only) throw new UserError("mdm.optionNotSupported", { command, option, platform });
}

/** Trimmed text or undefined when blank; characters XML cannot carry are refused. */
function text(field: string, value: string | undefined): string | undefined {
  const t = value?.trim();
  if (!t) return undefined;
  if (!isXmlText(t)) throw new UserError("mdm.invalidText", { field });
  return t;
}

function required(field: string, value: string): string {
  const t = text(field, value);
  if (!t) throw new UserError("mdm.invalidText", { field });
  return t;
}

function pinFor(command: RequestType, platform: ApplePlatform, pin: string | undefined): string | undefined {
  if (platform !== "MACOS") {
    onlyOn("MACOS", command, "PIN", platform, pin?.trim() ? pin : undefined);
    return undefined;
  }
  // Full-width digits from a Japanese IME are what the user meant.
  const p = pin?.normalize("NFKC").trim();
  if (!p) throw new UserError("mdm.pinRequired");
  if (!/^[0-9]{6}$/.test(p)) throw new UserError("mdm.pinInvalid");
  return p;
}

function looksLikeProfile(b: Buffer | undefined): boolean {
  if (!b || b.length === 0) return false;
  const start = b.subarray(0, 64).toString("latin1").replace(/^\ufeff|^\xef\xbb\xbf/, "").trimStart();
  return start.startsWith("<") || b[0] === 0x30; // XML plist, or DER (CMS SignedData)
}
