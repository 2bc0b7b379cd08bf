import { UserError } from "@/lib/errors";

// Mamori's small Android policy form and the AMAPI Policy JSON it becomes. Field names as in
// https://developers.google.com/android/management/reference/rest/v1/enterprises.policies
// using the current fields, not the deprecated booleans they replace: cameraAccess (not
// cameraDisabled), deviceConnectivityManagement.usbDataAccess (not usbFileTransferDisabled),
// advancedSecurityOverrides.untrustedAppsPolicy (not installUnknownSourcesAllowed) and
// .developerSettings (not debuggingFeaturesAllowed); passwordPolicies (not passwordRequirements).

export const SCREEN_LOCKS = ["NONE", "SOMETHING", "NUMERIC", "NUMERIC_COMPLEX", "ALPHANUMERIC", "COMPLEX"] as const;
export const USB_ACCESS = ["ALLOW_USB_DATA_TRANSFER", "DISALLOW_USB_FILE_TRANSFER", "DISALLOW_USB_DATA_TRANSFER"] as const;
export const UNKNOWN_APPS = ["DISALLOW_INSTALL", "ALLOW_INSTALL_IN_PERSONAL_PROFILE_ONLY", "ALLOW_INSTALL_DEVICE_WIDE"] as const;
export const AUTO_LOCK_MINUTES = [0, 1, 2, 5, 10, 15, 30] as const;
export const MIN_LENGTH_MAX = 16;
export const FRP_EMAILS_MAX = 5;

export interface PolicySettings {
  screenLock: (typeof SCREEN_LOCKS)[number];
  /** Minimum length of the PIN or password; Google enforces it for NUMERIC and stronger. */
  minLength: number;
  /** Screen turns off and locks after this many idle minutes (0: the user decides). */
  autoLockMinutes: number;
  cameraDisabled: boolean;
  screenCaptureDisabled: boolean;
  usb: (typeof USB_ACCESS)[number];
  unknownApps: (typeof UNKNOWN_APPS)[number];
  factoryResetDisabled: boolean;
  /** Google accounts that may unlock a device after a factory reset (factory-reset protection). */
  frpAdminEmails: string[];
  developerSettingsDisabled: boolean;
}

/** What a new binding starts with: a 6-digit PIN, 5-minute lock, no sideloading, no USB file transfer. */
export const DEFAULT_POLICY: PolicySettings = {
  screenLock: "NUMERIC_COMPLEX",
  minLength: 6,
  autoLockMinutes: 5,
  cameraDisabled: false,
  screenCaptureDisabled: false,
  usb: "DISALLOW_USB_FILE_TRANSFER",
  unknownApps: "DISALLOW_INSTALL",
  factoryResetDisabled: false,
  frpAdminEmails: [],
  developerSettingsDisabled: true,
};

/** The Policy fields Mamori owns: policies.patch touches only these. */
export const POLICY_UPDATE_MASK = [
  "passwordPolicies",
  "maximumTimeToLock",
  "cameraAccess",
  "screenCaptureDisabled",
  "factoryResetDisabled",
  "frpAdminEmails",
  "advancedSecurityOverrides.untrustedAppsPolicy",
  "advancedSecurityOverrides.developerSettings",
  "deviceConnectivityManagement.usbDataAccess",
];

const LENGTH_APPLIES = new Set(["NUMERIC", "NUMERIC_COMPLEX", "ALPHANUMERIC", "COMPLEX"]);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function toAmapiPolicy(s: PolicySettings): Record<string, unknown> {
  return {
    passwordPolicies:
      s.screenLock === "NONE"
        ? []
        : [{ passwordScope: "SCOPE_DEVICE", passwordQuality: s.screenLock, ...(LENGTH_APPLIES.has(s.screenLock) && s.minLength > 0 && { passwordMinimumLength: s.minLength }) }],
    // int64 travels as a string in proto3 JSON; "0" means no limit.
    maximumTimeToLock: String(s.autoLockMinutes * 60_000),
    cameraAccess: s.cameraDisabled ? "CAMERA_ACCESS_DISABLED" : "CAMERA_ACCESS_USER_CHOICE",
    screenCaptureDisabled: s.screenCaptureDisabled,
    factoryResetDisabled: s.factoryResetDisabled,
    frpAdminEmails: s.frpAdminEmails,
    advancedSecurityOverrides: { untrustedAppsPolicy: s.unknownApps, developerSettings: s.developerSettingsDisabled ? "DEVELOPER_SETTINGS_DISABLED" : "DEVELOPER_SETTINGS_ALLOWED" },
    deviceConnectivityManagement: { usbDataAccess: s.usb },
  };
}

const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === "string" && (list as readonly string[]).includes(v);

/** The form (strings and checkboxes) as settings; UserError("android.policy*") for what cannot be. */
export function parsePolicyForm(f: Record<string, unknown>): PolicySettings {
  const screenLock = f.screenLock;
  if (!oneOf(SCREEN_LOCKS, screenLock)) throw new UserError("android.policyScreenLock");
  const minLength = Number(f.minLength ?? 0);
  if (!Number.isInteger(minLength) || minLength < 0 || minLength > MIN_LENGTH_MAX) throw new UserError("android.policyMinLength", { max: MIN_LENGTH_MAX });
  const autoLockMinutes = Number(f.autoLockMinutes ?? 0);
  if (!(AUTO_LOCK_MINUTES as readonly number[]).includes(autoLockMinutes)) throw new UserError("android.policyAutoLock");
  if (!oneOf(USB_ACCESS, f.usb)) throw new UserError("android.policyChoice");
  if (!oneOf(UNKNOWN_APPS, f.unknownApps)) throw new UserError("android.policyChoice");
  const emails = String(f.frpAdminEmails ?? "")
    .split(/[\s,、]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  const bad = emails.find((e) => !EMAIL.test(e) || e.length > 254);
  if (bad) throw new UserError("android.policyFrpEmail", { value: bad.slice(0, 100) });
  if (emails.length > FRP_EMAILS_MAX) throw new UserError("android.policyFrpTooMany", { max: FRP_EMAILS_MAX });
  const on = (k: string) => f[k] === "on" || f[k] === true || f[k] === "true";
  return {
    screenLock,
    minLength,
    autoLockMinutes,
    cameraDisabled: on("cameraDisabled"),
    screenCaptureDisabled: on("screenCaptureDisabled"),
    usb: f.usb,
    unknownApps: f.unknownApps,
    factoryResetDisabled: on("factoryResetDisabled"),
    frpAdminEmails: [...new Set(emails)],
    developerSettingsDisabled: on("developerSettingsDisabled"),
  };
}

/** Stored settings (JSON column) back as settings; anything unreadable falls back to the default. */
export function readPolicySettings(v: unknown): PolicySettings {
  if (!v || typeof v !== "object" || Array.isArray(v)) return DEFAULT_POLICY;
  const o = v as Record<string, unknown>;
  try {
    return parsePolicyForm({ ...o, frpAdminEmails: Array.isArray(o.frpAdminEmails) ? o.frpAdminEmails.join(" ") : "" });
  } catch {
    return DEFAULT_POLICY;
  }
}
