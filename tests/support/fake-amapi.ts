import http from "node:http";
import { createPublicKey, createVerify, randomBytes } from "node:crypto";
import { listenOnLoopback } from "./listen";
import { createBinding, type FakeBinding } from "./fake-amapi-binding";

// A local stand-in for Google's OAuth 2.0 token endpoint and the Android Management API, as
// strict as Google documents them: the JWT bearer grant (RFC 7523) is checked claim by claim
// and its RS256 signature verified with the service account's public key; AMAPI calls need a
// token this fake issued, exact resource paths, known fields only and well-formed values, and
// errors come back as Google's JSON error body. Written apart from lib/android/client.ts.

export const FAKE_SCOPE = "https://www.googleapis.com/auth/androidmanagement";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_FIELDS = new Set(["name", "value", "duration", "expirationTimestamp", "policyName", "additionalData", "qrCode", "oneTimeOnly", "user", "allowPersonalUsage"]);
// https://developers.google.com/android/management/reference/rest/v1/enterprises.devices/issueCommand (Command)
const COMMAND_FIELDS = new Set(["type", "createTime", "duration", "userName", "errorCode", "newPassword", "resetPasswordFlags", "clearAppsDataParams", "clearAppsDataStatus", "startLostModeParams", "startLostModeStatus", "stopLostModeParams", "stopLostModeStatus", "requestDeviceInfoParams", "requestDeviceInfoStatus", "addEsimParams", "removeEsimParams", "esimStatus", "wipeParams"]);
const COMMAND_TYPES = new Set(["LOCK", "RESET_PASSWORD", "REBOOT", "RELINQUISH_OWNERSHIP", "CLEAR_APP_DATA", "START_LOST_MODE", "STOP_LOST_MODE", "ADD_ESIM", "REMOVE_ESIM", "REQUEST_DEVICE_INFO", "WIPE"]);
const LOST_FIELDS = new Set(["lostMessage", "lostPhoneNumber", "lostEmailAddress", "lostStreetAddress", "lostOrganization"]);
const WIPE_FLAGS = new Set(["PRESERVE_RESET_PROTECTION_DATA", "WIPE_EXTERNAL_STORAGE", "WIPE_ESIMS"]);
const PERSONAL_USAGE = new Set(["ALLOW_PERSONAL_USAGE_UNSPECIFIED", "PERSONAL_USAGE_ALLOWED", "PERSONAL_USAGE_DISALLOWED", "PERSONAL_USAGE_DISALLOWED_USERLESS"]);

export interface FakeServiceAccount {
  clientEmail: string;
  publicKeyPem: string;
  /** The account's Cloud project: signup and enterprise creation for another project are refused. */
  projectId?: string;
}

export interface FakeEnterprise {
  name: string;
  displayName: string;
  policies: string[];
}

export interface FakeEnrollmentToken {
  name: string;
  value: string;
  policyName: string;
  additionalData: string | null;
  oneTimeOnly: boolean;
  duration: string;
  expirationTimestamp: string;
  used: boolean;
}

export interface AmapiRecord {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface FakeAmapi {
  url: string;
  tokenUrl: string;
  requests: AmapiRecord[];
  enrollmentTokens: FakeEnrollmentToken[];
  /** Devices of each enterprise as devices.list returns them (deleted ones are not listed). */
  devices: Map<string, Record<string, unknown>[]>;
  /** A device enrolls with a token this fake issued: it appears in devices.list with the token's data. */
  enroll(tokenValue: string, hw: { serialNumber: string; model?: string; brand?: string; androidVersion?: string; at?: Date; managementMode?: "DEVICE_OWNER" | "PROFILE_OWNER"; ownership?: "COMPANY_OWNED" | "PERSONALLY_OWNED" }): Record<string, unknown>;
  /** Deletes a device: devices.list no longer returns it (as AMAPI). */
  remove(name: string): void;
  /** Largest page devices.list returns, to test paging (AMAPI's is 100). */
  maxPageSize: number;
  /** Holds devices.list answers until the returned function is called; `held` counts waiting ones. */
  holdDevices(): () => void;
  held: number;
  /** When set, devices.list answers with this Google error (an outage, say). */
  failDevices: { code: number; status: string; message: string } | null;
  /** When set, devices.list answers 200 with exactly this body (a broken proxy or API change). */
  devicesBody: string | null;
  /** issueCommand calls received (the body as sent) and the operations made for them. */
  commands: FakeCommand[];
  /** devices.delete calls: the device and the query it came with. */
  deletions: { name: string; wipeDataFlags: string[]; wipeReasonMessage: string | null }[];
  /** How the next operations end: done at the first operations.get, with this error, or never. */
  operationOutcome: "succeed" | "never" | { code: number; message: string; status: string };
  /** The next this-many issueCommand calls answer 429 RESOURCE_EXHAUSTED (quota), as Google does. */
  quotaExceeded: number;
  /** Enterprise binding and policies (tests/support/fake-amapi-binding.ts). */
  binding: FakeBinding;
  close(): Promise<void>;
}

export interface FakeCommand {
  device: string;
  body: Record<string, unknown>;
  operation: { name: string; done: boolean; error?: { code: number; message: string; status: string }; outcome: FakeAmapi["operationOutcome"] };
}

export interface FakeAmapiOptions {
  serviceAccounts: FakeServiceAccount[];
  enterprises: FakeEnterprise[];
  /** Fixed port (e2e: the server under test is configured before the fake starts); free port if left out. */
  port?: number;
  tokenTtlSeconds?: number;
}

function googleError(res: http.ServerResponse, code: number, status: string, message: string) {
  res.writeHead(code, { "content-type": "application/json; charset=UTF-8" });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

function json(res: http.ServerResponse, body: unknown) {
  res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
  res.end(JSON.stringify(body));
}

const b64json = (s: string) => JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Record<string, unknown>;

export async function startFakeAmapi(opts: FakeAmapiOptions): Promise<FakeAmapi> {
  const issued = new Map<string, { clientEmail: string; expiresAt: number }>();
  const accounts = new Map(opts.serviceAccounts.map((a) => [a.clientEmail, createPublicKey(a.publicKeyPem)]));
  const enterprises = new Map(opts.enterprises.map((e) => [e.name, e]));
  const requests: AmapiRecord[] = [];
  const enrollmentTokens: FakeEnrollmentToken[] = [];
  const devices = new Map<string, Record<string, unknown>[]>(opts.enterprises.map((e) => [e.name, []]));
  let base = "";
  let gate: Promise<void> | null = null;
  const binding = createBinding({
    base: () => base,
    bearer: (req) => {
      const t = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ""));
      const g = t ? issued.get(t[1]!) : undefined;
      return g && g.expiresAt >= Date.now() ? g.clientEmail : null;
    },
    projectOf: (email) => opts.serviceAccounts.find((a) => a.clientEmail === email)?.projectId,
    enterprises,
    devices,
  });

  function tokenGrant(body: string, res: http.ServerResponse, contentType: string): number {
    const fail = (error: string, description: string, code = 400) => {
      res.writeHead(code, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error, error_description: description }));
      return code;
    };
    if (!contentType.startsWith("application/x-www-form-urlencoded")) return fail("invalid_request", "Bad content type");
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== JWT_BEARER) return fail("unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type"));
    const parts = (form.get("assertion") ?? "").split(".");
    if (parts.length !== 3) return fail("invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
    let header: Record<string, unknown>, claims: Record<string, unknown>;
    try {
      header = b64json(parts[0]!);
      claims = b64json(parts[1]!);
    } catch {
      return fail("invalid_grant", "Invalid JWT.");
    }
    if (header.alg !== "RS256") return fail("invalid_grant", "Invalid JWT: unsupported alg");
    const key = accounts.get(String(claims.iss));
    if (!key) return fail("invalid_grant", "Invalid grant: account not found");
    const ok = createVerify("RSA-SHA256").update(`${parts[0]}.${parts[1]}`).verify(key, Buffer.from(parts[2]!, "base64url"));
    if (!ok) return fail("invalid_grant", "Invalid JWT Signature.");
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat), exp = Number(claims.exp);
    if (!Number.isInteger(iat) || !Number.isInteger(exp) || iat > now + 300 || exp < now || exp - iat > 3600 || exp <= iat)
      return fail("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
    if (claims.aud !== `${base}/token`) return fail("invalid_grant", "Invalid JWT: audience");
    if (!String(claims.scope ?? "").split(" ").includes(FAKE_SCOPE)) return fail("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    const token = "ya29.fake-" + randomBytes(24).toString("base64url");
    const ttl = opts.tokenTtlSeconds ?? 3599;
    issued.set(token, { clientEmail: String(claims.iss), expiresAt: Date.now() + ttl * 1000 });
    json(res, { access_token: token, expires_in: ttl, token_type: "Bearer" });
    return 200;
  }

  function createToken(enterprise: FakeEnterprise, raw: string, res: http.ServerResponse): number {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
    } catch {
      googleError(res, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      return 400;
    }
    const bad = (message: string) => (googleError(res, 400, "INVALID_ARGUMENT", message), 400);
    if (!body || typeof body !== "object" || Array.isArray(body)) return bad("Invalid JSON payload received.");
    for (const k of Object.keys(body)) if (!TOKEN_FIELDS.has(k)) return bad(`Invalid JSON payload received. Unknown name "${k}": Cannot find field.`);
    const duration = body.duration ?? "3600s";
    if (typeof duration !== "string" || !/^\d+(\.\d{1,9})?s$/.test(duration)) return bad(`Invalid value at 'enrollment_token.duration' (type.googleapis.com/google.protobuf.Duration), Field 'duration', Illegal duration format; duration must end with 's'`);
    const seconds = Number(duration.slice(0, -1));
    if (seconds < 60) return bad("Enrollment token duration must be at least 1 minute.");
    if (body.oneTimeOnly !== undefined && typeof body.oneTimeOnly !== "boolean") return bad("Invalid value at 'enrollment_token.one_time_only' (TYPE_BOOL)");
    if (body.additionalData !== undefined && (typeof body.additionalData !== "string" || body.additionalData.length > 1024)) return bad("additionalData must be a string of at most 1024 characters.");
    if (body.allowPersonalUsage !== undefined && !PERSONAL_USAGE.has(String(body.allowPersonalUsage))) return bad("Invalid value at 'enrollment_token.allow_personal_usage'");
    let policyName = `${enterprise.name}/policies/default`;
    if (body.policyName !== undefined) {
      const p = String(body.policyName);
      policyName = p.includes("/") ? p : `${enterprise.name}/policies/${p}`;
      if (!policyName.startsWith(`${enterprise.name}/policies/`)) return bad("Policy name must belong to the enterprise.");
      if (!enterprise.policies.includes(policyName)) return (googleError(res, 404, "NOT_FOUND", `Requested entity was not found: ${policyName}`), 404);
    }
    const value = randomBytes(15).toString("base64").replace(/[^A-Z]/gi, "").toUpperCase().slice(0, 20).padEnd(20, "X");
    const expirationTimestamp = new Date(Date.now() + seconds * 1000).toISOString();
    const t: FakeEnrollmentToken = {
      name: `${enterprise.name}/enrollmentTokens/${randomBytes(12).toString("base64url")}`,
      value,
      policyName,
      additionalData: (body.additionalData as string | undefined) ?? null,
      oneTimeOnly: body.oneTimeOnly === true,
      duration,
      expirationTimestamp,
      used: false,
    };
    enrollmentTokens.push(t);
    const qrCode = JSON.stringify({
      "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME": "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
      "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
      "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION": "https://play.google.com/managed/downloadManagingApp?identifier=setup",
      "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": { "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": value },
    });
    json(res, { name: t.name, value, duration, expirationTimestamp, policyName, ...(t.additionalData !== null && { additionalData: t.additionalData }), qrCode, oneTimeOnly: t.oneTimeOnly, allowPersonalUsage: body.allowPersonalUsage ?? "PERSONAL_USAGE_ALLOWED" });
    return 200;
  }

  const findDevice = (name: string) => [...devices.values()].flat().find((d) => d.name === name);

  /** enterprises.devices.get / delete / issueCommand / operations.get, as strict as Google's. */
  function deviceCall(name: string, suffix: string, method: string, url: URL, raw: string, contentType: string, res: http.ServerResponse): number {
    const bad = (message: string, status = "INVALID_ARGUMENT", code = 400) => (googleError(res, code, status, message), code);
    const device = findDevice(name);
    if (!enterprises.has(name.split("/devices/")[0]!)) return bad("Requested entity was not found.", "NOT_FOUND", 404);
    if (suffix.startsWith("/operations/")) {
      if (method !== "GET") return bad("Method not allowed.", "METHOD_NOT_ALLOWED", 405);
      const c = fake.commands.find((x) => x.operation.name === `${name}${suffix}`);
      if (!c) return bad("Requested entity was not found.", "NOT_FOUND", 404);
      const op = c.operation;
      if (!op.done && op.outcome !== "never") {
        op.done = true;
        if (typeof op.outcome === "object") op.error = op.outcome;
        else if (device && c.body.type === "START_LOST_MODE") device.state = "LOST";
        else if (device && c.body.type === "STOP_LOST_MODE") device.state = "ACTIVE";
      }
      json(res, { name: op.name, metadata: { "@type": "type.googleapis.com/google.android.devicemanagement.v1.Command", ...c.body, newPassword: undefined }, done: op.done, ...(op.error && { error: op.error }) });
      return 200;
    }
    if (!device) return bad(`Requested entity was not found: ${name}`, "NOT_FOUND", 404);
    if (suffix === ":issueCommand") {
      if (method !== "POST") return bad("Method not allowed.", "METHOD_NOT_ALLOWED", 405);
      if (!contentType.startsWith("application/json")) return bad("Invalid JSON payload received.");
      if (fake.quotaExceeded > 0) {
        fake.quotaExceeded--;
        return bad("Quota exceeded for quota metric 'Device commands' of service 'androidmanagement.googleapis.com'.", "RESOURCE_EXHAUSTED", 429);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw);
      } catch {
        return bad("Invalid JSON payload received.");
      }
      for (const k of Object.keys(body)) if (!COMMAND_FIELDS.has(k)) return bad(`Invalid JSON payload received. Unknown name "${k}" at 'command': Cannot find field.`);
      const type = String(body.type);
      if (!COMMAND_TYPES.has(type)) return bad(`Invalid value at 'command.type' (type.googleapis.com/google.android.devicemanagement.v1.Command.CommandType), "${type}"`);
      const params = ["startLostModeParams", "stopLostModeParams", "clearAppsDataParams", "requestDeviceInfoParams", "addEsimParams", "removeEsimParams", "wipeParams"].filter((k) => k in body);
      const wants = { START_LOST_MODE: "startLostModeParams", STOP_LOST_MODE: "stopLostModeParams" }[type];
      if (params.some((k) => k !== wants)) return bad(`${params[0]} is not allowed for a command of type ${type}.`);
      if ("newPassword" in body && type !== "RESET_PASSWORD") return bad("new_password is only allowed for RESET_PASSWORD.");
      if (type === "RESET_PASSWORD" && typeof body.newPassword === "string" && body.newPassword.length > 0 && body.newPassword.length < 4) return bad("The new password is too short.", "INVALID_ARGUMENT");
      if (type === "START_LOST_MODE") {
        const p = (body.startLostModeParams ?? {}) as Record<string, unknown>;
        for (const k of Object.keys(p)) if (!LOST_FIELDS.has(k)) return bad(`Invalid JSON payload received. Unknown name "${k}" at 'command.start_lost_mode_params': Cannot find field.`);
        for (const k of ["lostMessage", "lostPhoneNumber", "lostStreetAddress", "lostOrganization"]) {
          const v = p[k] as { defaultMessage?: unknown } | undefined;
          if (v !== undefined && (typeof v !== "object" || typeof v.defaultMessage !== "string")) return bad(`Invalid value at 'command.start_lost_mode_params.${k}': a UserFacingMessage is expected.`);
        }
        if (p.lostEmailAddress !== undefined && typeof p.lostEmailAddress !== "string") return bad("Invalid value at 'command.start_lost_mode_params.lost_email_address' (TYPE_STRING)");
        if (!p.lostMessage && !p.lostPhoneNumber && !p.lostEmailAddress && !p.lostStreetAddress) return bad("At least one of the lost mode parameters, not including the organization name, must be provided.");
      }
      // What the management mode does not allow is refused as Google does (FAILED_PRECONDITION).
      const mode = String(device.managementMode);
      if (type === "REBOOT" && mode !== "DEVICE_OWNER") return bad("Reboot is supported only on fully managed devices.", "FAILED_PRECONDITION");
      if ((type === "START_LOST_MODE" || type === "STOP_LOST_MODE") && device.ownership !== "COMPANY_OWNED") return bad("Lost mode is supported only on company-owned devices.", "FAILED_PRECONDITION");
      const op = { name: `${name}/operations/${randomBytes(8).toString("hex")}`, done: false, outcome: fake.operationOutcome };
      fake.commands.push({ device: name, body, operation: op });
      json(res, { name: op.name, metadata: { "@type": "type.googleapis.com/google.android.devicemanagement.v1.Command", type, createTime: new Date().toISOString() }, done: false });
      return 200;
    }
    if (method === "GET") {
      json(res, device);
      return 200;
    }
    if (method === "DELETE") {
      const flags = url.searchParams.getAll("wipeDataFlags");
      for (const f of flags) if (!WIPE_FLAGS.has(f)) return bad(`Invalid value at 'wipe_data_flags[0]' (type.googleapis.com/google.android.devicemanagement.v1.WipeDataFlag), "${f}"`);
      for (const k of url.searchParams.keys()) if (k !== "wipeDataFlags" && k !== "wipeReasonMessage") return bad(`Invalid JSON payload received. Unknown name "${k}": Cannot bind query parameter.`);
      fake.deletions.push({ name, wipeDataFlags: flags, wipeReasonMessage: url.searchParams.get("wipeReasonMessage") });
      fake.remove(name);
      json(res, {});
      return 200;
    }
    return bad("Method not allowed.", "METHOD_NOT_ALLOWED", 405);
  }

  const fake: FakeAmapi = {
    url: "",
    tokenUrl: "",
    requests,
    enrollmentTokens,
    devices,
    failDevices: null,
    devicesBody: null,
    commands: [],
    deletions: [],
    operationOutcome: "succeed",
    quotaExceeded: 0,
    binding: binding.state,
    maxPageSize: 100,
    held: 0,
    holdDevices() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
    enroll(tokenValue, hw) {
      const t = enrollmentTokens.find((x) => x.value === tokenValue);
      if (!t) throw new Error("fake-amapi: unknown enrollment token " + tokenValue);
      if (t.oneTimeOnly && t.used) throw new Error("fake-amapi: one-time token already used");
      t.used = true;
      const enterprise = t.name.split("/enrollmentTokens/")[0]!;
      const at = (hw.at ?? new Date()).toISOString();
      const device: Record<string, unknown> = {
        name: `${enterprise}/devices/${randomBytes(8).toString("hex")}`,
        managementMode: hw.managementMode ?? "DEVICE_OWNER",
        state: "ACTIVE",
        appliedState: "ACTIVE",
        policyCompliant: true,
        enrollmentTime: at,
        lastStatusReportTime: at,
        policyName: t.policyName,
        appliedPolicyName: t.policyName,
        apiLevel: 34,
        ...(t.additionalData !== null && { enrollmentTokenData: t.additionalData }),
        enrollmentTokenName: t.name,
        softwareInfo: { androidVersion: hw.androidVersion ?? "14", androidBuildNumber: "UP1A.231005.007" },
        hardwareInfo: { brand: hw.brand ?? "google", hardware: "husky", manufacturer: "Google", serialNumber: hw.serialNumber, model: hw.model ?? "Pixel 8 Pro" },
        ownership: hw.ownership ?? "COMPANY_OWNED",
      };
      devices.get(enterprise)!.push(device);
      return device;
    },
    remove(name) {
      for (const list of devices.values()) {
        const i = list.findIndex((d) => d.name === name);
        if (i >= 0) list.splice(i, 1);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      if (gate && /\/devices(\?|$)/.test(req.url ?? "")) {
        fake.held++;
        await gate;
        fake.held--;
      }
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", base);
      const record = (status: number) => requests.push({ method: req.method ?? "", path: url.pathname + url.search, status, body: raw ? tryJson(raw) : null });
      const bound = binding.handle(req, url, raw, res);
      if (bound !== null) return record(bound);
      if (url.pathname === "/token") {
        if (req.method !== "POST") return record((googleError(res, 405, "METHOD_NOT_ALLOWED", "POST only"), 405));
        return record(tokenGrant(raw, res, String(req.headers["content-type"] ?? "")));
      }
      const auth = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ""));
      const grant = auth ? issued.get(auth[1]!) : undefined;
      if (!grant || grant.expiresAt < Date.now()) {
        return record((googleError(res, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."), 401));
      }
      const dm = /^\/v1\/(enterprises\/[^/]+\/devices\/[^/:]+)(:issueCommand|\/operations\/[^/]+)?$/.exec(url.pathname);
      if (dm) {
        return record(deviceCall(dm[1]!, dm[2] ?? "", req.method ?? "", url, raw, String(req.headers["content-type"] ?? ""), res));
      }
      const m = /^\/v1\/(enterprises\/[^/]+)(?:\/(policies|enrollmentTokens|devices)(?:\/([^/]+))?)?$/.exec(url.pathname);
      const enterprise = m ? enterprises.get(m[1]!) : undefined;
      if (!m) return record((googleError(res, 404, "NOT_FOUND", "Method not found."), 404));
      if (!enterprise) return record((googleError(res, 404, "NOT_FOUND", `Requested entity was not found.`), 404));
      const [, , kind, id] = m;
      if (!kind && req.method === "GET") {
        json(res, { name: enterprise.name, enterpriseDisplayName: enterprise.displayName, enabledNotificationTypes: [] });
        return record(200);
      }
      if (kind === "policies" && id && req.method === "GET") {
        const name = `${enterprise.name}/policies/${id}`;
        if (!enterprise.policies.includes(name)) return record((googleError(res, 404, "NOT_FOUND", `Requested entity was not found.`), 404));
        json(res, { name, version: "1", applications: [] });
        return record(200);
      }
      if (kind === "enrollmentTokens" && !id && req.method === "POST") {
        if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) return record((googleError(res, 400, "INVALID_ARGUMENT", "Invalid JSON payload received."), 400));
        return record(createToken(enterprise, raw, res));
      }
      if (kind === "devices" && !id && req.method === "GET") {
        if (fake.failDevices) return record((googleError(res, fake.failDevices.code, fake.failDevices.status, fake.failDevices.message), fake.failDevices.code));
        if (fake.devicesBody !== null) {
          res.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(fake.devicesBody);
          return record(200);
        }
        const all = devices.get(enterprise.name)!;
        const sizeParam = url.searchParams.get("pageSize");
        if (sizeParam !== null && !/^\d+$/.test(sizeParam)) return record((googleError(res, 400, "INVALID_ARGUMENT", `Invalid value at 'page_size' (TYPE_INT32), "${sizeParam}"`), 400));
        const size = Math.min(Number(sizeParam ?? 10) || 10, 100, fake.maxPageSize);
        const pt = url.searchParams.get("pageToken");
        let start = 0;
        if (pt !== null) {
          const parsed = /^p(\d+)$/.exec(Buffer.from(pt, "base64url").toString("utf8"));
          if (!parsed) return record((googleError(res, 400, "INVALID_ARGUMENT", "Invalid page token."), 400));
          start = Number(parsed[1]);
        }
        const page = all.slice(start, start + size);
        const next = start + size < all.length ? Buffer.from(`p${start + size}`).toString("base64url") : undefined;
        json(res, { ...(page.length && { devices: page }), ...(next && { nextPageToken: next }) });
        return record(200);
      }
      return record((googleError(res, 404, "NOT_FOUND", "Method not found."), 404));
    });
  });

  if (opts.port) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, "127.0.0.1", () => resolve());
    });
    base = `http://127.0.0.1:${opts.port}`;
  } else {
    base = `http://127.0.0.1:${await listenOnLoopback(server)}`;
  }
  fake.url = base;
  fake.tokenUrl = `${base}/token`;
  return fake;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
