import { randomUUID } from "node:crypto";
import { UserError } from "@/lib/errors";
import { type PlistInput, buildPlist, isXmlText } from "@/lib/mdm/plist";
import { certificatesFromInput, describeDer } from "@/lib/pki/x509";

// Unsigned .mobileconfig documents (profiles/TopLevel.yaml and the payload YAMLs). Signing is
// lib/pki/cms.ts's job; these functions only build the dictionary and its XML.

type Dict = { [key: string]: PlistInput };

export interface BuiltProfile {
  /** The top-level Configuration dictionary. */
  profile: Dict;
  /** Unsigned XML plist of `profile`. */
  xml: string;
}

export const SERVER_CAPABILITIES = [
  "com.apple.mdm.per-user-connections",
  "com.apple.mdm.bootstraptoken",
  "com.apple.mdm.token",
] as const;
export type ServerCapability = (typeof SERVER_CAPABILITIES)[number];

/**
 * per-user-connections cannot be added or removed by a profile update later, and the macOS
 * user channel needs it; bootstraptoken lets Macs escrow their Bootstrap Token.
 */
export const DEFAULT_SERVER_CAPABILITIES: readonly ServerCapability[] = [
  "com.apple.mdm.per-user-connections",
  "com.apple.mdm.bootstraptoken",
];

export interface EnrollmentProfileOptions {
  /** PayloadIdentifier of the profile; RemoveProfile with it unenrolls the device. */
  identifier: string;
  displayName: string;
  organization: string;
  description?: string;
  scep: {
    url: string;
    challenge: string;
    /** Attribute pairs such as [["CN", udid-or-enrollment-id], ["O", "Mamori"]], one RDN each. */
    subject: readonly (readonly [string, string])[];
    keysize?: 1024 | 2048 | 4096;
    /** SHA-1 (20 bytes) or MD5 (16 bytes) of the SCEP CA certificate, raw or hex. */
    caFingerprint?: Buffer | string;
    /** CA-IDENT sent to the SCEP server. */
    name?: string;
    /** Shown in the profile's details on the device. */
    displayName?: string;
  };
  mdm: {
    serverUrl: string;
    checkInUrl?: string;
    topic: string;
    accessRights?: number;
    signMessage?: boolean;
    checkOutWhenRemoved?: boolean;
    serverCapabilities?: readonly ServerCapability[];
    displayName?: string;
    /** Simulators and tests only: real Apple devices refuse an http ServerURL. */
    allowHttp?: boolean;
  };
  /** Private CA roots the device must trust to reach the server (PEM, one or more each). */
  rootCaPems?: readonly string[];
}

export interface EnrollmentProfile extends BuiltProfile {
  /** The SCEP payload's PayloadUUID, which the MDM payload names as IdentityCertificateUUID. */
  identityPayloadUuid: string;
}

export function buildEnrollmentProfile(o: EnrollmentProfileOptions): EnrollmentProfile {
  const id = payloadIdentifier(o.identifier);
  const identityPayloadUuid = uuid();

  const roots: Dict[] = (o.rootCaPems ?? []).flatMap(rootDers).map((der, i) => ({
    ...common("com.apple.security.root", `${id}.root.${i + 1}`, certName(der)),
    PayloadCertificateFileName: `root-${i + 1}.cer`,
    PayloadContent: der,
  }));

  const scep: Dict = {
    ...common("com.apple.security.scep", `${id}.scep`, o.scep.displayName ?? "Device identity", identityPayloadUuid),
    PayloadContent: {
      URL: url("scep.url", o.scep.url, false),
      Name: o.scep.name,
      Subject: subject(o.scep.subject),
      Challenge: challenge(o.scep.challenge),
      Keysize: keysize(o.scep.keysize ?? 2048),
      "Key Type": "RSA",
      // Signing (TLS client auth, Mdm-Signature) and encryption (profiles encrypted to the device).
      "Key Usage": 5,
      CAFingerprint: fingerprint(o.scep.caFingerprint),
    },
  };

  const m = o.mdm;
  const mdm: Dict = {
    ...common("com.apple.mdm", `${id}.mdm`, m.displayName ?? "Device management"),
    IdentityCertificateUUID: identityPayloadUuid,
    Topic: topic(m.topic),
    ServerURL: url("mdm.serverUrl", m.serverUrl, !m.allowHttp),
    CheckInURL: m.checkInUrl === undefined ? undefined : url("mdm.checkInUrl", m.checkInUrl, !m.allowHttp),
    AccessRights: accessRights(m.accessRights ?? 8191),
    SignMessage: m.signMessage ?? true,
    CheckOutWhenRemoved: m.checkOutWhenRemoved ?? true,
    ServerCapabilities: capabilities(m.serverCapabilities ?? DEFAULT_SERVER_CAPABILITIES),
    // Push certificates from identity.apple.com are production-only.
    UseDevelopmentAPNS: false,
  };

  const profile = topLevel(o, id, [...roots, scep, mdm]);
  return { profile, xml: buildPlist(profile), identityPayloadUuid };
}

export interface Pkcs12ProfileOptions {
  identifier: string;
  displayName: string;
  organization: string;
  description?: string;
  /** The PKCS#12 (.p12) bytes. */
  pkcs12: Buffer;
  password?: string;
  certificateFileName?: string;
  /** Reuse a known UUID when other payloads (Wi-Fi, VPN) will point at this certificate. */
  payloadUuid?: string;
}

export interface Pkcs12Profile extends BuiltProfile {
  certificatePayloadUuid: string;
}

/** A profile carrying one password-protected identity (com.apple.security.pkcs12). */
export function buildPkcs12Profile(o: Pkcs12ProfileOptions): Pkcs12Profile {
  const id = payloadIdentifier(o.identifier);
  if (!o.pkcs12 || o.pkcs12.length === 0) throw new UserError("pkcs12.notPkcs12");
  const certificatePayloadUuid = o.payloadUuid ?? uuid();
  const payload: Dict = {
    ...common("com.apple.security.pkcs12", `${id}.pkcs12`, o.displayName, certificatePayloadUuid),
    PayloadCertificateFileName: o.certificateFileName ?? "identity.p12",
    PayloadContent: o.pkcs12,
    Password: o.password,
  };
  const profile = topLevel(o, id, [payload]);
  return { profile, xml: buildPlist(profile), certificatePayloadUuid };
}

export interface WebClipProfileOptions {
  identifier: string;
  displayName: string;
  organization: string;
  description?: string;
  /** Shown under the icon on the home screen. */
  label: string;
  /** https (http only for a local trial). */
  url: string;
  /** PNG, ideally 180 × 180 (Apple's home-screen size). */
  icon?: Buffer;
}

/** A home-screen icon that opens a web page (com.apple.webClip.managed). */
export function buildWebClipProfile(o: WebClipProfileOptions): BuiltProfile {
  const id = payloadIdentifier(o.identifier);
  if (!o.label.trim() || !isXmlText(o.label)) throw new UserError("webClip.labelRequired");
  const payload: Dict = {
    ...common("com.apple.webClip.managed", `${id}.webclip`, o.displayName),
    URL: url("URL", o.url, false),
    Label: o.label,
    ...(o.icon && { Icon: o.icon, Precomposed: true }),
    // The user may remove it from the home screen; removing the profile takes it away too.
    IsRemovable: true,
    FullScreen: false,
  };
  const profile = topLevel(o, id, [payload]);
  return { profile, xml: buildPlist(profile) };
}

// --- helpers

function topLevel(o: { displayName: string; organization: string; description?: string }, id: string, content: Dict[]): Dict {
  return {
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: id,
    PayloadUUID: uuid(),
    PayloadDisplayName: o.displayName,
    PayloadOrganization: o.organization,
    PayloadDescription: o.description,
    PayloadRemovalDisallowed: false,
    PayloadContent: content,
  };
}

function common(type: string, identifier: string, displayName: string, payloadUuid = uuid()): Dict {
  return { PayloadType: type, PayloadVersion: 1, PayloadIdentifier: identifier, PayloadUUID: payloadUuid, PayloadDisplayName: displayName };
}

/** Upper case, as Apple's tools write PayloadUUIDs. */
function uuid(): string {
  return randomUUID().toUpperCase();
}

function payloadIdentifier(s: string): string {
  if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(s)) throw new TypeError(`profile: bad PayloadIdentifier ${s}`);
  return s;
}

function url(field: string, s: string, httpsOnly: boolean): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UserError("mdm.urlInvalid", { field });
  }
  // Apple refuses non-https ServerURL/CheckInURL; SCEP may use http (its messages are CMS-protected).
  if (u.protocol !== "https:" && (httpsOnly || u.protocol !== "http:")) throw new UserError("mdm.urlNotHttps", { field });
  return s;
}

function challenge(s: string): string {
  if (!s || !isXmlText(s)) throw new TypeError("profile: bad SCEP challenge");
  return s;
}

function topic(s: string): string {
  if (!/^com\.apple\.mgmt\.\S+$/.test(s)) throw new UserError("mdm.topicInvalid");
  return s;
}

/** Apple: never 0; 2 needs 1; 128 needs 64. */
export function accessRightsValid(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 8191 && (!(n & 2) || !!(n & 1)) && (!(n & 128) || !!(n & 64));
}

function accessRights(n: number): number {
  if (!accessRightsValid(n)) throw new UserError("mdm.accessRightsInvalid");
  return n;
}

function keysize(n: number): number {
  if (![1024, 2048, 4096].includes(n)) throw new TypeError(`profile: bad SCEP Keysize ${n}`);
  return n;
}

function capabilities(list: readonly string[]): string[] {
  for (const c of list) if (!(SERVER_CAPABILITIES as readonly string[]).includes(c)) throw new TypeError(`profile: unknown capability ${c}`);
  return [...new Set(list)];
}

/** Apple's Subject shape: an array of RDNs, each an array of [type, value] pairs. */
function subject(pairs: readonly (readonly [string, string])[]): string[][][] {
  if (pairs.length === 0) throw new TypeError("profile: empty SCEP Subject");
  return pairs.map(([type, value]) => {
    if (!type || !value || !isXmlText(type) || !isXmlText(value)) throw new TypeError("profile: bad SCEP Subject pair");
    return [[type, value]];
  });
}

function fingerprint(f: Buffer | string | undefined): Buffer | undefined {
  if (f === undefined) return undefined;
  const hex = typeof f === "string" ? f.replace(/[:\s]/g, "") : undefined;
  if (hex !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new UserError("mdm.caFingerprintInvalid");
  const b = hex !== undefined ? Buffer.from(hex, "hex") : (f as Buffer);
  // Apple documents SHA-1 or MD5 fingerprints for the SCEP CA.
  if (b.length !== 20 && b.length !== 16) throw new UserError("mdm.caFingerprintInvalid");
  return b;
}

function rootDers(pem: string): Buffer[] {
  const ders = certificatesFromInput(pem);
  if (ders.length === 0) throw new UserError("mdm.rootCertificateInvalid");
  return ders;
}

function certName(der: Buffer): string {
  try {
    const info = describeDer(der);
    return info.commonName ?? info.subject;
  } catch {
    throw new UserError("mdm.rootCertificateInvalid");
  }
}
