import { describeDer } from "@/lib/pki/x509";
import type { PlistDict, PlistValue } from "@/lib/mdm/plist";
import { bool, compact, defined, dict, dicts, int, invalid, num, str } from "@/lib/mdm/fields";

// Acknowledged command answers turned into what the portal stores and shows. Only the
// container key is required (its absence means the device answered something else); a field
// of the wrong type is dropped rather than failing the whole inventory.

export interface ErrorChainItem {
  code: number | null;
  domain: string | null;
  /** In the device's language (LocalizedDescription), else the US English text. */
  description: string | null;
  usEnglishDescription?: string;
}

/** ErrorChain as sent with Status Error; most general error first, underlying causes after. */
export function parseErrorChain(chain: PlistValue | undefined): ErrorChainItem[] {
  return dicts(chain).map((e) => {
    const localized = str(e.LocalizedDescription);
    const english = str(e.USEnglishDescription);
    return defined({
      code: int(e.ErrorCode) ?? null,
      domain: str(e.ErrorDomain) ?? null,
      description: localized ?? english ?? null,
      usEnglishDescription: english,
    });
  });
}

export interface DeviceInfo {
  udid?: string;
  name?: string;
  osVersion?: string;
  buildVersion?: string;
  /** Rapid Security Response letter, e.g. "(a)". */
  supplementalOsVersionExtra?: string;
  model?: string;
  modelName?: string;
  modelNumber?: string;
  productName?: string;
  serialNumber?: string;
  imei?: string;
  meid?: string;
  phoneNumber?: string;
  /** GB (base 10) on iOS and macOS 12+, GiB on older macOS, as the device reports it. */
  capacityGb?: number;
  availableGb?: number;
  /** 0..1; absent when the device cannot tell (it sends -1). */
  batteryLevel?: number;
  supervised?: boolean;
  wifiMac?: string;
  bluetoothMac?: string;
  ethernetMac?: string;
  activationLockEnabled?: boolean;
  findMyEnabled?: boolean;
  lostModeEnabled?: boolean;
  awaitingConfiguration?: boolean;
  appleSilicon?: boolean;
  /** macOS: whether DeviceLock / EraseDevice need the six-digit PIN on this Mac. */
  pinRequiredForLock?: boolean;
  pinRequiredForErase?: boolean;
}

export interface SecuritySummary {
  passcodePresent?: boolean;
  passcodeCompliant?: boolean;
  passcodeCompliantWithProfiles?: boolean;
  /** 1 block-level, 2 file-level, 3 both. */
  hardwareEncryptionCaps?: number;
  /** iOS data protection: caps 3 and a passcode (Apple's definition). */
  dataProtection?: boolean;
  fileVaultEnabled?: boolean;
  fileVaultPersonalRecoveryKey?: boolean;
  fileVaultInstitutionalRecoveryKey?: boolean;
  systemIntegrityProtection?: boolean;
  firewallEnabled?: boolean;
  firewallBlockAllIncoming?: boolean;
  firewallStealthMode?: boolean;
  firmwarePasswordExists?: boolean;
  enrolledViaDep?: boolean;
  userApprovedEnrollment?: boolean;
  userEnrollment?: boolean;
  activationLockManageable?: boolean;
  secureBootLevel?: string;
  externalBootLevel?: string;
  authenticatedRootVolume?: boolean;
  remoteDesktopEnabled?: boolean;
  bootstrapTokenAllowedForAuthentication?: string;
  recoveryLockEnabled?: boolean;
}

export interface InstalledApp {
  /** Always present on iOS; macOS may omit it for some apps. */
  identifier?: string;
  name?: string;
  version?: string;
  shortVersion?: string;
  bundleSize?: number;
  dynamicSize?: number;
  installing?: boolean;
}

export interface ProfileSummary {
  identifier: string;
  uuid?: string;
  displayName?: string;
  organization?: string;
  description?: string;
  version?: number;
  removalDisallowed?: boolean;
  hasRemovalPasscode?: boolean;
  encrypted?: boolean;
  managed?: boolean;
  signed: boolean;
  source?: string;
  payloads: { type?: string; identifier?: string; uuid?: string; displayName?: string }[];
}

export interface CertificateSummary {
  commonName?: string;
  isIdentity?: boolean;
  subject?: string;
  issuer?: string;
  serial?: string;
  notBefore?: Date;
  notAfter?: Date;
  fingerprintSha256?: string;
  /** False when Data is missing or not a certificate Mamori can read. */
  readable: boolean;
}

export interface DeviceLocation {
  latitude: number;
  longitude: number;
  /** Metres; absent when unknown (the device sends a negative value). */
  horizontalAccuracy?: number;
  verticalAccuracy?: number;
  altitude?: number;
  speed?: number;
  course?: number;
  timestamp?: Date;
}

export interface ResultMap {
  DeviceInformation: DeviceInfo;
  SecurityInfo: SecuritySummary;
  InstalledApplicationList: InstalledApp[];
  ProfileList: ProfileSummary[];
  CertificateList: CertificateSummary[];
  DeviceLocation: DeviceLocation;
}

export type ParsedResult<T extends string> = T extends keyof ResultMap ? ResultMap[T] : Record<string, never>;

/** Normalize the `response` of an Acknowledged connect report for `requestType`. */
export function parseResult<T extends string>(requestType: T, response: PlistDict): ParsedResult<T> {
  const parser = PARSERS[requestType as keyof ResultMap];
  return (parser ? parser(response) : {}) as ParsedResult<T>;
}

const PARSERS: { [K in keyof ResultMap]: (r: PlistDict) => ResultMap[K] } = {
  DeviceInformation: deviceInformation,
  SecurityInfo: securityInfo,
  InstalledApplicationList: (r) => required(r, "InstalledApplicationList", Array.isArray).filter(isDictValue).map(app),
  ProfileList: (r) => required(r, "ProfileList", Array.isArray).filter(isDictValue).flatMap(profile),
  CertificateList: (r) => required(r, "CertificateList", Array.isArray).filter(isDictValue).map(certificate),
  DeviceLocation: location,
};

function deviceInformation(r: PlistDict): DeviceInfo {
  const q = required(r, "QueryResponses", isDictValue);
  // iOS 16 deprecated the top-level cellular keys in favour of one entry per SIM.
  const sims = dicts(q.ServiceSubscriptions);
  const fromSims = (key: string, norm = compact) => sims.map((s) => norm(s[key])).find(Boolean);
  const battery = num(q.BatteryLevel);
  return defined({
    udid: str(q.UDID),
    name: str(q.DeviceName),
    osVersion: str(q.OSVersion),
    buildVersion: str(q.BuildVersion),
    supplementalOsVersionExtra: str(q.SupplementalOSVersionExtra) || undefined,
    model: str(q.Model),
    modelName: str(q.ModelName),
    modelNumber: str(q.ModelNumber),
    productName: str(q.ProductName),
    serialNumber: str(q.SerialNumber),
    imei: compact(q.IMEI) ?? fromSims("IMEI"),
    meid: compact(q.MEID) ?? fromSims("MEID"),
    phoneNumber: trimmed(q.PhoneNumber) ?? fromSims("PhoneNumber", trimmed),
    capacityGb: round2(num(q.DeviceCapacity)),
    availableGb: round2(num(q.AvailableDeviceCapacity)),
    batteryLevel: battery !== undefined && battery >= 0 && battery <= 1 ? battery : undefined,
    supervised: bool(q.IsSupervised),
    wifiMac: str(q.WiFiMAC),
    bluetoothMac: str(q.BluetoothMAC),
    ethernetMac: str(q.EthernetMAC),
    activationLockEnabled: bool(q.IsActivationLockEnabled),
    findMyEnabled: bool(q.IsDeviceLocatorServiceEnabled),
    lostModeEnabled: bool(q.IsMDMLostModeEnabled),
    awaitingConfiguration: bool(q.AwaitingConfiguration),
    appleSilicon: bool(q.IsAppleSilicon),
    pinRequiredForLock: bool(q.PINRequiredForDeviceLock),
    pinRequiredForErase: bool(q.PINRequiredForEraseDevice),
  });
}

function securityInfo(r: PlistDict): SecuritySummary {
  const s = required(r, "SecurityInfo", isDictValue);
  const firewall = dict(s.FirewallSettings) ?? {};
  const management = dict(s.ManagementStatus) ?? {};
  const boot = dict(s.SecureBoot) ?? {};
  const caps = int(s.HardwareEncryptionCaps);
  const passcode = bool(s.PasscodePresent);
  return defined({
    passcodePresent: passcode,
    passcodeCompliant: bool(s.PasscodeCompliant),
    passcodeCompliantWithProfiles: bool(s.PasscodeCompliantWithProfiles),
    hardwareEncryptionCaps: caps,
    dataProtection: caps !== undefined && passcode !== undefined ? caps === 3 && passcode : undefined,
    fileVaultEnabled: bool(s.FDE_Enabled),
    fileVaultPersonalRecoveryKey: bool(s.FDE_HasPersonalRecoveryKey),
    fileVaultInstitutionalRecoveryKey: bool(s.FDE_HasInstitutionalRecoveryKey),
    systemIntegrityProtection: bool(s.SystemIntegrityProtectionEnabled),
    firewallEnabled: bool(firewall.FirewallEnabled),
    firewallBlockAllIncoming: bool(firewall.BlockAllIncoming),
    firewallStealthMode: bool(firewall.StealthMode),
    firmwarePasswordExists: bool(dict(s.FirmwarePasswordStatus)?.PasswordExists),
    enrolledViaDep: bool(management.EnrolledViaDEP),
    userApprovedEnrollment: bool(management.UserApprovedEnrollment),
    userEnrollment: bool(management.IsUserEnrollment),
    activationLockManageable: bool(management.IsActivationLockManageable),
    secureBootLevel: str(boot.SecureBootLevel),
    externalBootLevel: str(boot.ExternalBootLevel),
    authenticatedRootVolume: bool(s.AuthenticatedRootVolumeEnabled),
    remoteDesktopEnabled: bool(s.RemoteDesktopEnabled),
    bootstrapTokenAllowedForAuthentication: str(s.BootstrapTokenAllowedForAuthentication),
    recoveryLockEnabled: bool(s.IsRecoveryLockEnabled),
  });
}

function app(a: PlistDict): InstalledApp {
  return defined({
    identifier: str(a.Identifier),
    name: str(a.Name),
    version: str(a.Version),
    shortVersion: str(a.ShortVersion),
    bundleSize: int(a.BundleSize),
    dynamicSize: int(a.DynamicSize),
    installing: bool(a.Installing),
  });
}

function profile(p: PlistDict): ProfileSummary[] {
  const identifier = str(p.PayloadIdentifier);
  if (!identifier) return [];
  const signers = p.SignerCertificates;
  return [
    defined({
      identifier,
      uuid: str(p.PayloadUUID),
      displayName: str(p.PayloadDisplayName),
      organization: str(p.PayloadOrganization),
      description: str(p.PayloadDescription),
      version: int(p.PayloadVersion),
      removalDisallowed: bool(p.PayloadRemovalDisallowed),
      hasRemovalPasscode: bool(p.HasRemovalPasscode),
      encrypted: bool(p.IsEncrypted),
      managed: bool(p.IsManaged),
      signed: Array.isArray(signers) && signers.length > 0,
      source: str(p.Source),
      payloads: dicts(p.PayloadContent).map((c) =>
        defined({
          type: str(c.PayloadType),
          identifier: str(c.PayloadIdentifier),
          uuid: str(c.PayloadUUID),
          displayName: str(c.PayloadDisplayName),
        }),
      ),
    }),
  ];
}

function certificate(c: PlistDict): CertificateSummary {
  const base = { commonName: str(c.CommonName), isIdentity: bool(c.IsIdentity) };
  const der = c.Data;
  if (!Buffer.isBuffer(der) || der.length === 0) return defined({ ...base, readable: false });
  try {
    const info = describeDer(der);
    return defined({
      ...base,
      subject: info.subject,
      issuer: info.issuer,
      serial: info.serial,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      fingerprintSha256: info.fingerprintSha256,
      readable: true,
    });
  } catch {
    return defined({ ...base, readable: false });
  }
}

function location(r: PlistDict): DeviceLocation {
  const latitude = num(r.Latitude);
  const longitude = num(r.Longitude);
  if (latitude === undefined || Math.abs(latitude) > 90) throw invalid("Latitude");
  if (longitude === undefined || Math.abs(longitude) > 180) throw invalid("Longitude");
  const known = (v: PlistValue | undefined) => {
    const n = num(v);
    return n !== undefined && n >= 0 ? n : undefined;
  };
  const verticalAccuracy = known(r.VerticalAccuracy);
  return defined({
    latitude,
    longitude,
    horizontalAccuracy: known(r.HorizontalAccuracy),
    verticalAccuracy,
    // Altitude can be legitimately negative; it is unknown when the vertical accuracy is.
    altitude: verticalAccuracy !== undefined ? num(r.Altitude) : undefined,
    speed: known(r.Speed),
    course: known(r.Course),
    timestamp: timestamp(r.Timestamp),
  });
}

/** Apple's YAML types Timestamp as an RFC 3339 string; accept a plist <date> too. */
function timestamp(v: PlistValue | undefined): Date | undefined {
  const d = v instanceof Date ? v : typeof v === "string" ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

function required<T extends PlistValue>(r: PlistDict, key: string, is: (v: PlistValue) => v is T): T;
function required(r: PlistDict, key: string, is: (v: PlistValue) => boolean): PlistValue;
function required(r: PlistDict, key: string, is: (v: PlistValue) => boolean): PlistValue {
  const v = r[key];
  if (v === undefined || !is(v)) throw invalid(key);
  return v;
}

function isDictValue(v: PlistValue): v is PlistDict {
  return dict(v) !== undefined;
}

function trimmed(v: PlistValue | undefined): string | undefined {
  return str(v)?.trim() || undefined;
}

function round2(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 100) / 100;
}

/**
 * One line for a stored error chain (as kept in commands.error_chain): the first description
 * with its domain and code, e.g. "The profile could not be installed. (MCProfileErrorDomain 1009)".
 */
export function errorChainText(chain: unknown): string | null {
  if (!Array.isArray(chain)) return null;
  const items = chain.filter((e): e is Partial<ErrorChainItem> => Boolean(e) && typeof e === "object");
  const first = items.find((e) => typeof e.description === "string" && e.description) ?? items[0];
  if (!first) return null;
  const where = [first.domain, first.code].filter((x) => x !== null && x !== undefined && x !== "").join(" ");
  const text = first.description || first.usEnglishDescription || "";
  return [text, where && `(${where})`].filter(Boolean).join(" ") || null;
}
