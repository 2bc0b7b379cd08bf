import { randomBytes, randomUUID } from "node:crypto";
import forge from "node-forge";
import { parsePlist, buildPlist, type PlistDict } from "../../lib/mdm/plist";
import { signData, verifySignedData } from "../../lib/pki/cms";
import { scepEnroll } from "../../lib/pki/scep-client";
import { retryingFetch } from "./fetch";

// A simulated iPhone or Mac that speaks only the public protocol: it downloads the profile,
// gets its identity by SCEP, signs every request (Mdm-Signature) and answers commands.

export type SimPlatform = "ios" | "macos";

export interface SimOptions {
  platform: SimPlatform;
  /** RequestTypes to answer with NotNow, or with Error. */
  notNow?: string[];
  error?: string[];
  fetch?: typeof fetch;
  log?: (line: string) => void;
  /** The identity key to certify by SCEP (PEM); a new RSA key otherwise. Load generators share one. */
  keyPem?: string;
  /** Called when a request is sent again after the server closed the reused connection. */
  onRetry?: (err: unknown) => void;
  /**
   * Behind a TLS-terminating proxy that verified the device's client certificate: send the
   * certificate (URL-encoded PEM) in this header instead of signing each request (Mdm-Signature).
   */
  certificateHeader?: string;
}

export interface Profile {
  scep: { url: string; challenge: string; subject: Array<Array<[string, string]>> };
  serverUrl: string;
  checkInUrl: string;
  topic: string;
  identifier: string;
}

const APPS = [
  { Identifier: "com.apple.mobilesafari", Name: "Safari", Version: "8619.1", ShortVersion: "18.1", BundleSize: 1_200_000 },
  { Identifier: "jp.naver.line", Name: "LINE", Version: "14.19.0", ShortVersion: "14.19.0", BundleSize: 480_000_000 },
  { Identifier: "com.microsoft.Office.Outlook", Name: "Outlook", Version: "4.2446.0", ShortVersion: "4.2446.0", BundleSize: 310_000_000 },
];

export class SimulatedDevice {
  readonly udid = randomUUID().toUpperCase();
  readonly serial = randomBytes(6).toString("hex").toUpperCase().slice(0, 10);
  readonly token = randomBytes(32);
  readonly pushMagic = randomUUID().toUpperCase();
  readonly unlockToken = randomBytes(64);
  private identity?: { certPem: string; keyPem: string };
  private profile?: Profile;
  lostMode = false;
  /** What DeviceInformation reports as DeviceName; the Settings command's DeviceName item changes it. */
  name = "";
  wiped = false;
  retired = false;
  locked = false;
  readonly answered: Array<{ requestType: string; status: string }> = [];
  /** Profiles installed by InstallProfile, by PayloadIdentifier: the identities they carried. */
  readonly profiles = new Map<string, { displayName: string; identities: string[] }>();

  private readonly doFetch: typeof fetch;

  constructor(readonly opts: SimOptions) {
    this.doFetch = retryingFetch(opts.fetch ?? fetch, opts.onRetry);
  }

  private get fetch() {
    return this.doFetch;
  }

  private log(line: string) {
    this.opts.log?.(`[${this.udid.slice(0, 8)}] ${line}`);
  }

  /** Profile download, SCEP, Authenticate, TokenUpdate: what installing the profile does. */
  async enroll(enrollmentUrl: string): Promise<void> {
    // A GET only shows the Download button; its POST (what tapping it sends) is the download.
    const res = await this.fetch(enrollmentUrl, { method: "POST" });
    if (!res.ok) throw new Error(`profile download failed: HTTP ${res.status} ${await res.text()}`);
    if (!res.headers.get("content-type")?.startsWith("application/x-apple-aspen-config")) throw new Error("not a configuration profile");
    const signed = Buffer.from(await res.arrayBuffer());
    this.profile = readProfile(parsePlist(verifySignedData(signed).content));
    const p = this.profile;
    this.identity = await scepEnroll({ url: p.scep.url, challenge: p.scep.challenge, subject: p.scep.subject.map((rdn) => rdn[0]!) as Array<[string, string]>, keyPem: this.opts.keyPem, fetch: this.fetch });
    this.log("identity certificate issued by SCEP");
    await this.checkin({ MessageType: "Authenticate", Topic: p.topic, UDID: this.udid, SerialNumber: this.serial, ...this.models() });
    await this.checkin({
      MessageType: "TokenUpdate", Topic: p.topic, UDID: this.udid, Token: this.token, PushMagic: this.pushMagic,
      ...(this.opts.platform === "ios" && { UnlockToken: this.unlockToken }), AwaitingConfiguration: false,
    });
    this.log("enrolled");
  }

  private models(): PlistDict {
    return this.opts.platform === "ios"
      ? { OSVersion: "18.1", BuildVersion: "22B83", ProductName: "iPhone16,2", IMEI: "35 123456 789012 3" }
      : { OSVersion: "15.1", BuildVersion: "24B83", ProductName: "Mac15,6", DeviceName: "Hanako's MacBook Pro", Model: "Mac15,6", ModelName: "MacBook Pro" };
  }

  private async put(url: string, body: PlistDict, contentType: string): Promise<Response> {
    return this.rawPut(url, Buffer.from(buildPlist(body as never)), contentType);
  }

  /** Any bytes, signed with this device's identity: for tests of what the server refuses. */
  async rawPut(url: string, body: Buffer, contentType = "application/x-apple-aspen-mdm", signer = this.identity!): Promise<Response> {
    const headers: Record<string, string> = { "content-type": contentType };
    if (this.opts.certificateHeader) headers[this.opts.certificateHeader] = encodeURIComponent(signer.certPem);
    else headers["mdm-signature"] = signData(body, signer, { detached: true }).toString("base64");
    return this.fetch(url, { method: "PUT", body: new Uint8Array(body), headers });
  }

  /** What the profile said; tests replay its challenge and reach its URLs. */
  get enrollmentProfile(): Profile | undefined {
    return this.profile;
  }

  async checkin(body: PlistDict): Promise<Response> {
    const res = await this.put(this.profile!.checkInUrl, body, "application/x-apple-aspen-mdm-checkin");
    if (res.status !== 200) throw new Error(`${body.MessageType} refused: HTTP ${res.status} ${await res.text()}`);
    return res;
  }

  /** One connection, as after a push: Idle, then answer commands until the server has none. */
  async connect(): Promise<number> {
    if (this.wiped || this.retired) return 0;
    let report: PlistDict = { Status: "Idle", UDID: this.udid };
    let handled = 0;
    for (let i = 0; i < 100; i++) {
      const res = await this.put(this.profile!.serverUrl, report, "application/x-apple-aspen-mdm");
      if (res.status !== 200) throw new Error(`connect refused: HTTP ${res.status} ${await res.text()}`);
      const text = await res.text();
      if (!text.trim()) return handled;
      const { CommandUUID, Command } = parsePlist(Buffer.from(text)) as { CommandUUID: string; Command: PlistDict };
      report = { UDID: this.udid, CommandUUID, ...(await this.answer(Command)) };
      this.answered.push({ requestType: String(Command.RequestType), status: String(report.Status) });
      handled++;
      if (this.retired) {
        await this.checkin({ MessageType: "CheckOut", Topic: this.profile!.topic, UDID: this.udid });
        return handled;
      }
    }
    return handled;
  }

  private error(code: number, message: string): PlistDict {
    return { Status: "Error", ErrorChain: [{ ErrorCode: code, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: message, USEnglishDescription: message }] };
  }

  /** Realistic replies, per Apple's command reference. */
  async answer(c: PlistDict): Promise<PlistDict> {
    const type = String(c.RequestType);
    if (this.opts.notNow?.includes(type)) return { Status: "NotNow" };
    if (this.opts.error?.includes(type)) return this.error(12021, `${type} failed on the simulated device`);
    const ok = (extra: PlistDict = {}) => ({ Status: "Acknowledged", ...extra });
    const ios = this.opts.platform === "ios";
    switch (type) {
      case "DeviceInformation": {
        const all: PlistDict = {
          DeviceName: this.name || (ios ? "Hanako's iPhone" : "Hanako's MacBook Pro"), OSVersion: ios ? "18.1" : "15.1", BuildVersion: ios ? "22B83" : "24B83",
          ModelName: ios ? "iPhone" : "MacBook Pro", Model: ios ? "MTUW3J/A" : "Mac15,6", ProductName: ios ? "iPhone16,2" : "Mac15,6",
          SerialNumber: this.serial, UDID: this.udid, DeviceCapacity: ios ? 256 : 1000, AvailableDeviceCapacity: ios ? 171.3 : 612.5,
          BatteryLevel: 0.82, IsSupervised: ios, WiFiMAC: "a4:83:e7:12:34:56", BluetoothMAC: "a4:83:e7:12:34:57",
          IsActivationLockEnabled: false, IsMDMLostModeEnabled: this.lostMode,
          ...(ios && { IMEI: "35 123456 789012 3", PhoneNumber: "+81 90 1234 5678", ServiceSubscriptions: [{ PhoneNumber: "+81 90 1234 5678", IMEI: "35 123456 789012 3", CarrierSettingsVersion: "60.0", IsDataPreferred: true, IsVoicePreferred: true, Label: "Primary", LabelID: "1" }] }),
        };
        const queries = Array.isArray(c.Queries) ? (c.Queries as string[]) : Object.keys(all);
        return ok({ QueryResponses: Object.fromEntries(queries.filter((q) => q in all).map((q) => [q, all[q]!])) });
      }
      case "SecurityInfo":
        return ok({ SecurityInfo: ios
          ? { HardwareEncryptionCaps: 3, PasscodePresent: true, PasscodeCompliant: true, PasscodeCompliantWithProfiles: true }
          : { FDE_Enabled: true, FDE_HasPersonalRecoveryKey: true, SystemIntegrityProtectionEnabled: true, FirewallSettings: { FirewallEnabled: true, BlockAllIncoming: false, StealthMode: false } } });
      case "InstalledApplicationList":
        return ok({ InstalledApplicationList: APPS });
      case "ProfileList":
        return ok({ ProfileList: [{ PayloadIdentifier: this.profile!.identifier, PayloadDisplayName: "Mamori", PayloadUUID: randomUUID(), PayloadVersion: 1, IsManaged: true, PayloadContent: [] }] });
      case "CertificateList":
        return ok({ CertificateList: [{ CommonName: "Mamori Device CA", IsIdentity: false, Data: pemToDer(this.identity!.certPem) }] });
      case "DeviceLock":
        if (!ios && !/^\d{6}$/.test(String(c.PIN ?? ""))) return this.error(12003, "A six-digit PIN is required");
        this.locked = true;
        return ok();
      case "ClearPasscode":
        if (!ios) return this.error(12074, "Not supported on macOS");
        if (!(c.UnlockToken instanceof Buffer) || !c.UnlockToken.equals(this.unlockToken)) return this.error(12023, "The unlock token is invalid");
        this.locked = false;
        return ok();
      case "EraseDevice":
        this.wiped = true;
        return ok();
      case "EnableLostMode":
        if (!ios) return this.error(12074, "Not supported on macOS");
        this.lostMode = true;
        return ok();
      case "DisableLostMode":
        this.lostMode = false;
        return ok();
      case "DeviceLocation":
        if (!this.lostMode) return this.error(12067, "The device is not in lost mode");
        return ok({ Latitude: 35.681236, Longitude: 139.767125, HorizontalAccuracy: 12.5, VerticalAccuracy: 8, Altitude: 40, Speed: 0, Course: -1, Timestamp: new Date() });
      case "PlayLostModeSound":
        return this.lostMode ? ok() : this.error(12067, "The device is not in lost mode");
      case "InstallProfile":
        return this.installProfile(c);
      case "Settings":
        return ok({ Settings: (Array.isArray(c.Settings) ? (c.Settings as PlistDict[]) : []).map((item) => this.setting(item)) });
      case "RemoveProfile":
        if (c.Identifier === this.profile!.identifier) this.retired = true;
        this.profiles.delete(String(c.Identifier));
        return ok();
      default:
        return ok();
    }
  }

  /** One Settings item's answer: DeviceName on a Mac or a supervised iPhone (which this one is); others are not simulated. */
  private setting(item: PlistDict): PlistDict {
    if (item.Item === "DeviceName" && typeof item.DeviceName === "string" && item.DeviceName) {
      this.name = item.DeviceName;
      return { Status: "Acknowledged" };
    }
    return { Status: "Error", ErrorChain: [{ ErrorCode: 12081, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: `${String(item.Item)} is not simulated`, USEnglishDescription: `${String(item.Item)} is not simulated` }] };
  }

  /** As a device does: the profile must parse and every PKCS#12 must open with its Password. */
  private installProfile(c: PlistDict): PlistDict {
    let p: PlistDict;
    try {
      p = parsePlist(c.Payload as Buffer) as PlistDict;
    } catch {
      return this.error(1000, "The profile cannot be read");
    }
    const identities: string[] = [];
    for (const payload of (p.PayloadContent ?? []) as PlistDict[]) {
      if (payload.PayloadType !== "com.apple.security.pkcs12") continue;
      try {
        const der = forge.util.createBuffer((payload.PayloadContent as Buffer).toString("binary"));
        const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), String(payload.Password ?? ""));
        const [keyBag, certBag] = [forge.pki.oids.pkcs8ShroudedKeyBag!, forge.pki.oids.certBag!];
        const keys = p12.getBags({ bagType: keyBag })[keyBag] ?? [];
        const certs = p12.getBags({ bagType: certBag })[certBag] ?? [];
        if (keys.length === 0 || !certs[0]?.cert) return this.error(9000, "The identity has no private key");
        identities.push(String(certs[0].cert.subject.getField("CN")?.value ?? ""));
      } catch {
        return this.error(9000, "The PKCS#12 password is incorrect");
      }
    }
    this.profiles.set(String(p.PayloadIdentifier), { displayName: String(p.PayloadDisplayName ?? ""), identities });
    return { Status: "Acknowledged" };
  }
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

function readProfile(p: PlistDict): Profile {
  const payloads = (p.PayloadContent ?? []) as PlistDict[];
  const scep = payloads.find((x) => x.PayloadType === "com.apple.security.scep")?.PayloadContent as PlistDict | undefined;
  const mdm = payloads.find((x) => x.PayloadType === "com.apple.mdm");
  if (!scep || !mdm) throw new Error("the profile has no SCEP or MDM payload");
  return {
    scep: { url: String(scep.URL), challenge: String(scep.Challenge), subject: (scep.Subject ?? []) as Array<Array<[string, string]>> },
    serverUrl: String(mdm.ServerURL),
    checkInUrl: String(mdm.CheckInURL ?? mdm.ServerURL),
    topic: String(mdm.Topic),
    identifier: String(p.PayloadIdentifier),
  };
}
