import { createPrivateKey, createSign, type KeyObject } from "node:crypto";
import { UserError } from "@/lib/errors";

// A minimal client for Google's Android Management API (AMAPI) with a service account:
//   OAuth 2.0 JWT bearer grant (RFC 7523, RS256) at oauth2.googleapis.com/token
//   GET  /v1/enterprises/{id}                      enterprises.get
//   GET  /v1/enterprises/{id}/policies/{policy}    enterprises.policies.get
//   POST /v1/enterprises/{id}/enrollmentTokens     enterprises.enrollmentTokens.create
//   GET  /v1/enterprises/{id}/devices?pageToken=   enterprises.devices.list
//   GET  /v1/enterprises/{id}/devices/{d}          enterprises.devices.get
//   POST /v1/{device}:issueCommand                 enterprises.devices.issueCommand (an Operation)
//   GET  /v1/{device}/operations/{op}              enterprises.devices.operations.get
//   DELETE /v1/{device}?wipeDataFlags=             enterprises.devices.delete
//   POST /v1/signupUrls, POST /v1/enterprises, PATCH policies: lib/android/binding-client.ts
// Base URLs come from AMAPI_URL and GOOGLE_OAUTH_TOKEN_URL so tests can use a local fake.

export const AMAPI_DEFAULT_URL = "https://androidmanagement.googleapis.com";
export const OAUTH_DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token";
export const AMAPI_SCOPE = "https://www.googleapis.com/auth/androidmanagement";
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const ENROLL_URL = "https://enterprise.google.com/android/enroll?et=";
const TIMEOUT_MS = 15_000;
const PAGE_SIZE = 100; // AMAPI's maximum for devices.list

export const ENTERPRISE_NAME = /^enterprises\/[A-Za-z0-9_-]{1,100}$/;
export const POLICY_NAME = /^(enterprises\/[A-Za-z0-9_-]{1,100})\/policies\/[A-Za-z0-9_.-]{1,100}$/;

export function amapiBaseUrl(): string {
  return (process.env.AMAPI_URL || AMAPI_DEFAULT_URL).replace(/\/+$/, "");
}

export function oauthTokenUrl(): string {
  return process.env.GOOGLE_OAUTH_TOKEN_URL || OAUTH_DEFAULT_TOKEN_URL;
}

export interface ServiceAccount {
  clientEmail: string;
  privateKeyPem: string;
  privateKeyId: string | null;
  /** The key's project_id: the Cloud project that owns the enterprise (signup needs it). */
  projectId?: string | null;
}

/** Reads a service-account JSON key as Google Cloud Console downloads it; UserError("android.key*") otherwise. */
export function parseServiceAccount(text: string): ServiceAccount {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError("android.keyNotJson");
  }
  const o = (json && typeof json === "object" && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  if (o.type !== "service_account") throw new UserError("android.keyNotServiceAccount");
  const email = typeof o.client_email === "string" ? o.client_email.trim() : "";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UserError("android.keyNoEmail");
  const pem = typeof o.private_key === "string" ? o.private_key : "";
  let key: KeyObject;
  try {
    if (!pem.includes("-----BEGIN")) throw new Error("not PEM");
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new UserError("android.keyBadPrivateKey");
  }
  if (key.asymmetricKeyType !== "rsa") throw new UserError("android.keyBadPrivateKey");
  const projectId = typeof o.project_id === "string" && /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(o.project_id) ? o.project_id : null;
  return { clientEmail: email, privateKeyPem: pem, privateKeyId: typeof o.private_key_id === "string" && o.private_key_id ? o.private_key_id : null, projectId };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** The signed assertion for the JWT bearer grant (Google's "Preparing to make an authorized API call"). */
export function signAssertion(sa: ServiceAccount, audience: string, now = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = { alg: "RS256", typ: "JWT", ...(sa.privateKeyId && { kid: sa.privateKeyId }) };
  const claims = { iss: sa.clientEmail, scope: AMAPI_SCOPE, aud: audience, iat, exp: iat + 3600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign("RSA-SHA256").update(input).sign(sa.privateKeyPem);
  return `${input}.${b64url(signature)}`;
}

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/** Exchanges a signed assertion for an access token. */
export async function fetchAccessToken(sa: ServiceAccount, now = new Date()): Promise<AccessToken> {
  const url = oauthTokenUrl();
  const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion: signAssertion(sa, url, now) });
  const res = await send(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: body.toString() });
  const json = (await readJson(res)) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | null;
  if (!res.ok) {
    // Google answers a bad signature, unknown account or disabled key with 400/401 invalid_grant.
    if (res.status === 400 || res.status === 401) throw new UserError("android.authFailed", { detail: String(json?.error_description ?? json?.error ?? res.status).slice(0, 200) });
    throw new UserError("android.http", { status: res.status, detail: "token" });
  }
  if (typeof json?.access_token !== "string" || !json.access_token) throw new UserError("android.badResponse", { detail: "access_token" });
  const seconds = typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in : 3600;
  return { token: json.access_token, expiresAt: new Date(now.getTime() + seconds * 1000) };
}

/** One AMAPI call with a bearer token; Google's error JSON becomes a UserError. */
export async function amapi(token: string, method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await send(`${amapiBaseUrl()}/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await readJson(res)) as Record<string, unknown> | null;
  if (!res.ok) {
    const err = (json?.error ?? {}) as { message?: unknown; status?: unknown };
    const detail = String(err.message ?? err.status ?? "").slice(0, 200);
    if (res.status === 401) throw new UserError("android.authFailed", { detail });
    if (res.status === 403) throw new UserError("android.forbidden", { detail });
    if (res.status === 404) throw new UserError("android.notFound", { path: path.split("?")[0]! });
    if (res.status === 400) throw new UserError("android.badRequest", { detail });
    throw new UserError("android.http", { status: res.status, detail });
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new UserError("android.badResponse", { detail: path.split("?")[0]! });
  return json;
}

export interface EnrollmentToken {
  name: string;
  value: string;
  qrCode: string | null;
  expiresAt: Date | null;
  /** The link that starts enrollment on an Android device. */
  url: string;
}

/** enterprises.enrollmentTokens.create: a one-time token for `policyName`, carrying the Mamori user id. */
export async function createEnrollmentToken(
  token: string,
  enterpriseName: string,
  input: { policyName: string; userId: string; durationSeconds: number },
): Promise<EnrollmentToken> {
  const json = await amapi(token, "POST", `${enterpriseName}/enrollmentTokens`, {
    policyName: input.policyName,
    duration: `${input.durationSeconds}s`,
    oneTimeOnly: true,
    additionalData: JSON.stringify({ mamoriUserId: input.userId }),
  });
  if (typeof json.value !== "string" || !json.value) throw new UserError("android.badResponse", { detail: "enrollmentToken.value" });
  const exp = typeof json.expirationTimestamp === "string" ? new Date(json.expirationTimestamp) : null;
  return {
    name: String(json.name ?? ""),
    value: json.value,
    qrCode: typeof json.qrCode === "string" ? json.qrCode : null,
    expiresAt: exp && !Number.isNaN(exp.getTime()) ? exp : null,
    url: ENROLL_URL + encodeURIComponent(json.value),
  };
}

/** The parts of an AMAPI Device resource Mamori keeps. */
export interface AmapiDevice {
  name: string;
  state: string | null;
  appliedState: string | null;
  enrollmentTime: Date | null;
  lastStatusReportTime: Date | null;
  enrollmentTokenData: string | null;
  serialNumber: string | null;
  model: string | null;
  brand: string | null;
  androidVersion: string | null;
  /** DEVICE_OWNER (fully managed) or PROFILE_OWNER (work profile). */
  managementMode: string | null;
  /** COMPANY_OWNED or PERSONALLY_OWNED. */
  ownership: string | null;
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
const time = (v: unknown) => {
  const d = typeof v === "string" ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
};

export function toDevice(raw: Record<string, unknown>): AmapiDevice | null {
  const name = str(raw.name);
  if (!name) return null;
  const hw = (raw.hardwareInfo ?? {}) as Record<string, unknown>;
  const sw = (raw.softwareInfo ?? {}) as Record<string, unknown>;
  return {
    name,
    state: str(raw.state),
    appliedState: str(raw.appliedState),
    enrollmentTime: time(raw.enrollmentTime),
    lastStatusReportTime: time(raw.lastStatusReportTime),
    enrollmentTokenData: str(raw.enrollmentTokenData),
    serialNumber: str(hw.serialNumber),
    model: str(hw.model),
    brand: str(hw.brand),
    androidVersion: str(sw.androidVersion),
    managementMode: str(raw.managementMode),
    ownership: str(raw.ownership),
  };
}

/** A Device resource as Google sends it (devices.get, a notification), read as Mamori keeps it. */
export function parseDevice(raw: unknown): AmapiDevice | null {
  return raw && typeof raw === "object" && !Array.isArray(raw) ? toDevice(raw as Record<string, unknown>) : null;
}

/** enterprises.devices.get. */
export async function getDevice(token: string, deviceName: string): Promise<AmapiDevice> {
  const d = parseDevice(await amapi(token, "GET", deviceName));
  if (!d) throw new UserError("android.badResponse", { detail: "devices.get" });
  return d;
}

/** A long-running operation (google.longrunning.Operation) as AMAPI answers issueCommand with it. */
export interface AmapiOperation {
  name: string;
  done?: boolean;
  error?: { code?: number; message?: string; status?: string };
  metadata?: unknown;
  response?: unknown;
}

function toOperation(json: Record<string, unknown>, what: string): AmapiOperation {
  const name = str(json.name);
  if (!name) throw new UserError("android.badResponse", { detail: what });
  const error = json.error && typeof json.error === "object" ? (json.error as AmapiOperation["error"]) : undefined;
  return { name, done: json.done === true, error, metadata: json.metadata, response: json.response };
}

/** enterprises.devices.issueCommand: `command` is an AMAPI Command (type and its params). */
export async function issueCommand(token: string, deviceName: string, command: Record<string, unknown>): Promise<AmapiOperation> {
  return toOperation(await amapi(token, "POST", `${deviceName}:issueCommand`, command), "issueCommand");
}

/** enterprises.devices.operations.get. */
export async function getOperation(token: string, operationName: string): Promise<AmapiOperation> {
  return toOperation(await amapi(token, "GET", operationName), "operations.get");
}

/**
 * enterprises.devices.delete: erases a fully managed device, removes the work profile from a
 * personal one. Flags: PRESERVE_RESET_PROTECTION_DATA, WIPE_EXTERNAL_STORAGE, WIPE_ESIMS.
 */
export async function deleteDevice(token: string, deviceName: string, opts: { wipeDataFlags?: readonly string[]; wipeReasonMessage?: string } = {}): Promise<void> {
  const q = new URLSearchParams();
  for (const f of opts.wipeDataFlags ?? []) q.append("wipeDataFlags", f);
  if (opts.wipeReasonMessage) q.set("wipeReasonMessage", opts.wipeReasonMessage);
  await amapi(token, "DELETE", q.size ? `${deviceName}?${q}` : deviceName);
}

/** enterprises.devices.list, every page. */
export async function listDevices(token: string, enterpriseName: string, maxPages = 1000): Promise<AmapiDevice[]> {
  const out: AmapiDevice[] = [];
  let pageToken: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const q = new URLSearchParams({ pageSize: String(PAGE_SIZE), ...(pageToken && { pageToken }) });
    const json = await amapi(token, "GET", `${enterpriseName}/devices?${q}`);
    // Google leaves `devices` out of an empty page (proto3 JSON drops empty lists); anything
    // else that is not a list of named devices is a broken answer, never an empty fleet.
    const devices = json.devices ?? [];
    if (!Array.isArray(devices)) throw new UserError("android.badResponse", { detail: "devices.list devices" });
    for (const d of devices) {
      const parsed = d && typeof d === "object" && !Array.isArray(d) ? toDevice(d as Record<string, unknown>) : null;
      if (!parsed) throw new UserError("android.badResponse", { detail: "devices.list device" });
      out.push(parsed);
    }
    pageToken = str(json.nextPageToken);
    if (!pageToken) return out;
  }
  throw new UserError("android.badResponse", { detail: "devices.list pages" });
}

async function send(url: string, init: RequestInit): Promise<Response> {
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  try {
    return await fetch(url, { ...init, signal, redirect: "error" });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    throw new UserError("android.network", { host: new URL(url).host, detail: signal.aborted ? "timeout" : (cause?.code ?? (e as Error).message).slice(0, 100) });
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
