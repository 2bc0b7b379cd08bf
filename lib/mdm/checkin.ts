import type { PlistDict } from "@/lib/mdm/plist";
import { compact, invalid, optBool, optData, optString, reqData, reqString } from "@/lib/mdm/fields";
import { type ErrorChainItem, parseErrorChain } from "@/lib/mdm/results";
import { isUuid } from "@/lib/ids";

// Check-in (CheckInURL) and connect (ServerURL) bodies, already parsed by parsePlist, turned
// into typed messages. Field names and presence follow Apple's mdm/checkin/*.yaml; where the
// YAML marks a key "required" only for one platform or channel (DeviceName on macOS,
// NotOnConsole on the macOS user channel), it is optional here.

/** A device channel is named by its UDID, or by its EnrollmentID under User Enrollment. */
export type DeviceRef = { udid: string; enrollmentId?: undefined } | { enrollmentId: string; udid?: undefined };

/** Present on user-channel messages (macOS users, Shared iPad users). */
export interface UserChannel {
  userId?: string;
  userShortName?: string;
  userLongName?: string;
  enrollmentUserId?: string;
}

/** The fixed UserID of Shared iPad user channels; the user is then named by UserShortName. */
export const SHARED_IPAD_USER_ID = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF";

export type Authenticate = DeviceRef & {
  messageType: "Authenticate";
  topic: string;
  serialNumber?: string;
  osVersion?: string;
  buildVersion?: string;
  productName?: string;
  imei?: string;
  meid?: string;
  /** macOS only, like model and modelName. */
  deviceName?: string;
  model?: string;
  modelName?: string;
};

export type TokenUpdate = DeviceRef &
  UserChannel & {
    messageType: "TokenUpdate";
    topic: string;
    /** The APNs device token, lower-case hex as the push URL wants it. */
    token: string;
    pushMagic: string;
    /** Clears the passcode later (ClearPasscode): a secret, seal it before storing. */
    unlockToken?: Buffer;
    awaitingConfiguration: boolean;
    notOnConsole?: boolean;
  };

export type CheckOut = DeviceRef & UserChannel & { messageType: "CheckOut"; topic: string };

export type GetBootstrapToken = DeviceRef & { messageType: "GetBootstrapToken"; awaitingConfiguration: boolean };

export type SetBootstrapToken = DeviceRef & {
  messageType: "SetBootstrapToken";
  /** null: the device asks to delete the escrowed token (key missing or empty). */
  bootstrapToken: Buffer | null;
  awaitingConfiguration: boolean;
};

export const UNSUPPORTED_MESSAGE_TYPES = ["UserAuthenticate", "DeclarativeManagement", "GetToken"] as const;

/** Messages Mamori recognizes but does not implement yet; the service decides how to answer. */
export type UnsupportedCheckin = DeviceRef &
  UserChannel & { messageType: (typeof UNSUPPORTED_MESSAGE_TYPES)[number]; unsupported: true };

export type CheckinMessage = Authenticate | TokenUpdate | CheckOut | GetBootstrapToken | SetBootstrapToken | UnsupportedCheckin;

export function parseCheckin(obj: PlistDict): CheckinMessage {
  const messageType = reqString(obj, "MessageType");
  switch (messageType) {
    case "Authenticate":
      return {
        ...deviceRef(obj),
        messageType,
        topic: reqString(obj, "Topic"),
        serialNumber: optString(obj, "SerialNumber"),
        osVersion: optString(obj, "OSVersion"),
        buildVersion: optString(obj, "BuildVersion"),
        productName: optString(obj, "ProductName"),
        imei: compact(optString(obj, "IMEI")),
        meid: compact(optString(obj, "MEID")),
        deviceName: optString(obj, "DeviceName"),
        model: optString(obj, "Model"),
        modelName: optString(obj, "ModelName"),
      };
    case "TokenUpdate":
      return {
        ...deviceRef(obj),
        ...userChannel(obj),
        messageType,
        topic: reqString(obj, "Topic"),
        token: reqData(obj, "Token").toString("hex"),
        pushMagic: reqString(obj, "PushMagic"),
        unlockToken: nonEmpty(optData(obj, "UnlockToken")),
        awaitingConfiguration: optBool(obj, "AwaitingConfiguration") ?? false,
        notOnConsole: optBool(obj, "NotOnConsole"),
      };
    case "CheckOut":
      return { ...deviceRef(obj), ...userChannel(obj), messageType, topic: reqString(obj, "Topic") };
    case "GetBootstrapToken":
      return { ...deviceRef(obj), messageType, awaitingConfiguration: optBool(obj, "AwaitingConfiguration") ?? false };
    case "SetBootstrapToken":
      return {
        ...deviceRef(obj),
        messageType,
        bootstrapToken: nonEmpty(optData(obj, "BootstrapToken")) ?? null,
        awaitingConfiguration: optBool(obj, "AwaitingConfiguration") ?? false,
      };
    case "UserAuthenticate":
    case "DeclarativeManagement":
    case "GetToken":
      return { ...deviceRef(obj), ...userChannel(obj), messageType, unsupported: true };
    default:
      throw invalid("MessageType");
  }
}

export const CONNECT_STATUSES = ["Idle", "Acknowledged", "Error", "CommandFormatError", "NotNow"] as const;
export type ConnectStatus = (typeof CONNECT_STATUSES)[number];

export type ConnectReport = DeviceRef &
  UserChannel & {
    status: ConnectStatus;
    /** Absent on Idle; may be absent on CommandFormatError when the command was unreadable. */
    commandUuid?: string;
    /** Some OS versions echo the RequestType; useful to cross-check the queued command. */
    requestType?: string;
    errorChain?: ErrorChainItem[];
    /** The command's answer: every key not listed above, as the device sent it. */
    response: PlistDict;
  };

const ENVELOPE_KEYS = new Set([
  "Status",
  "UDID",
  "EnrollmentID",
  "EnrollmentUserID",
  "UserID",
  "UserShortName",
  "UserLongName",
  "CommandUUID",
  "RequestType",
  "ErrorChain",
]);

/** A connect (command-and-report-results) body. */
export function parseConnect(obj: PlistDict): ConnectReport {
  const status = reqString(obj, "Status");
  if (!(CONNECT_STATUSES as readonly string[]).includes(status)) throw invalid("Status");
  const commandUuid = optString(obj, "CommandUUID");
  // A result must name the command it answers, and Mamori only ever sends UUIDs: anything else
  // names no command of ours and must not reach SQL. (CommandFormatError may carry what the
  // device could not read: then it names nothing.)
  const named = isUuid(commandUuid);
  if (status !== "Idle" && status !== "CommandFormatError" && !named) throw invalid("CommandUUID");
  const chain = obj.ErrorChain;
  if (chain !== undefined && !Array.isArray(chain)) throw invalid("ErrorChain");

  const response: PlistDict = {};
  for (const [k, v] of Object.entries(obj)) if (!ENVELOPE_KEYS.has(k)) response[k] = v;
  return {
    ...deviceRef(obj),
    ...userChannel(obj),
    status: status as ConnectStatus,
    commandUuid: status === "Idle" || !named ? undefined : commandUuid,
    requestType: optString(obj, "RequestType"),
    errorChain: chain === undefined ? undefined : parseErrorChain(chain),
    response,
  };
}

/** True on messages from a user channel (macOS user or Shared iPad user). */
export function isUserChannel(m: UserChannel): boolean {
  return m.userId !== undefined || m.enrollmentUserId !== undefined;
}

// Identifiers become database keys and log fields: printable ASCII without spaces.
const ID = /^[\x21-\x7e]{1,256}$/;

function deviceRef(obj: PlistDict): DeviceRef {
  // UDID wins if both are present, as in NanoMDM; User Enrollment never sends a UDID.
  const udid = optString(obj, "UDID");
  if (udid !== undefined) {
    if (!ID.test(udid)) throw invalid("UDID");
    return { udid };
  }
  const enrollmentId = optString(obj, "EnrollmentID");
  if (enrollmentId === undefined) throw invalid("UDID");
  if (!ID.test(enrollmentId)) throw invalid("EnrollmentID");
  return { enrollmentId };
}

function userChannel(obj: PlistDict): UserChannel {
  const userId = optString(obj, "UserID");
  const enrollmentUserId = optString(obj, "EnrollmentUserID");
  if (userId !== undefined && !ID.test(userId)) throw invalid("UserID");
  if (enrollmentUserId !== undefined && !ID.test(enrollmentUserId)) throw invalid("EnrollmentUserID");
  const out: UserChannel = {};
  if (userId !== undefined) out.userId = userId;
  if (enrollmentUserId !== undefined) out.enrollmentUserId = enrollmentUserId;
  const shortName = optString(obj, "UserShortName");
  const longName = optString(obj, "UserLongName");
  if (shortName !== undefined) out.userShortName = shortName;
  if (longName !== undefined) out.userLongName = longName;
  return out;
}

function nonEmpty(b: Buffer | undefined): Buffer | undefined {
  return b && b.length > 0 ? b : undefined;
}
