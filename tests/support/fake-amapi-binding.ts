import type http from "node:http";
import { randomBytes } from "node:crypto";

// The enterprise-binding and policy part of tests/support/fake-amapi.ts, as strict as Google
// documents it (references in lib/android/binding-client.ts and lib/android/policy.ts):
//   POST  /v1/signupUrls        query projectId, callbackUrl, adminEmail, allowedDomains; empty body
//   GET   /signup?token=        the "Google" page: redirects to callbackUrl + enterpriseToken
//   POST  /v1/enterprises       query projectId, signupUrlName, enterpriseToken (that pair, once)
//   PATCH /v1/enterprises/*/policies/*   updateMask; known fields and enum values only
//   GET   /v1/enterprises/*/policies/*   what was patched
// Deprecated Policy booleans (cameraDisabled, usbFileTransferDisabled, installUnknownSourcesAllowed,
// debuggingFeaturesAllowed) and passwordRequirements are refused on purpose: Google still accepts
// them, but Mamori must use their replacements.

export interface FakeSignup {
  name: string;
  projectId: string;
  callbackUrl: string;
  adminEmail: string | null;
  pageToken: string;
  enterpriseToken: string | null;
  enterpriseName: string | null;
}

export interface FakeBinding {
  signups: FakeSignup[];
  /** Policies as policies.patch left them, by name. */
  policies: Map<string, Record<string, unknown>>;
  /** Every enterprises.create that succeeded. */
  created: { name: string; projectId: string; displayName: string }[];
  /** When set, every Google call (token endpoint included) answers with this error: an outage. */
  outage: { code: number; status: string; message: string } | null;
}

export interface BindingDeps {
  base: () => string;
  /** Client email of a valid bearer token, or null. */
  bearer: (req: http.IncomingMessage) => string | null;
  projectOf: (clientEmail: string) => string | undefined;
  enterprises: Map<string, { name: string; displayName: string; policies: string[] }>;
  devices: Map<string, Record<string, unknown>[]>;
}

type Send = (code: number, body: unknown) => number;

const ENUMS: Record<string, Set<string>> = {
  passwordQuality: new Set(["PASSWORD_QUALITY_UNSPECIFIED", "BIOMETRIC_WEAK", "SOMETHING", "NUMERIC", "NUMERIC_COMPLEX", "ALPHABETIC", "ALPHANUMERIC", "COMPLEX", "COMPLEXITY_LOW", "COMPLEXITY_MEDIUM", "COMPLEXITY_HIGH"]),
  passwordScope: new Set(["SCOPE_UNSPECIFIED", "SCOPE_DEVICE", "SCOPE_PROFILE"]),
  cameraAccess: new Set(["CAMERA_ACCESS_UNSPECIFIED", "CAMERA_ACCESS_USER_CHOICE", "CAMERA_ACCESS_DISABLED", "CAMERA_ACCESS_ENFORCED"]),
  untrustedAppsPolicy: new Set(["UNTRUSTED_APPS_POLICY_UNSPECIFIED", "DISALLOW_INSTALL", "ALLOW_INSTALL_IN_PERSONAL_PROFILE_ONLY", "ALLOW_INSTALL_DEVICE_WIDE"]),
  developerSettings: new Set(["DEVELOPER_SETTINGS_UNSPECIFIED", "DEVELOPER_SETTINGS_DISABLED", "DEVELOPER_SETTINGS_ALLOWED"]),
  usbDataAccess: new Set(["USB_DATA_ACCESS_UNSPECIFIED", "ALLOW_USB_DATA_TRANSFER", "DISALLOW_USB_FILE_TRANSFER", "DISALLOW_USB_DATA_TRANSFER"]),
};
const PASSWORD_FIELDS = new Set(["passwordMinimumLength", "passwordMinimumLetters", "passwordMinimumLowerCase", "passwordMinimumNonLetter", "passwordMinimumNumeric", "passwordMinimumSymbols", "passwordMinimumUpperCase", "passwordQuality", "passwordHistoryLength", "maximumFailedPasswordsForWipe", "passwordExpirationTimeout", "passwordScope", "requirePasswordUnlock", "unifiedLockSettings"]);
const SECURITY_FIELDS = new Set(["untrustedAppsPolicy", "googlePlayProtectVerifyApps", "developerSettings", "commonCriteriaMode", "personalAppsThatCanReadWorkNotifications", "mtePolicy", "contentProtectionPolicy"]);
const CONNECTIVITY_FIELDS = new Set(["usbDataAccess", "configureWifi", "wifiDirectSettings", "tetheringSettings", "wifiSsidPolicy", "wifiRoamingPolicy", "bluetoothSharing", "preferentialNetworkServiceSettings", "apnPolicy"]);
const POLICY_FIELDS = new Set(["name", "version", "applications", "passwordPolicies", "maximumTimeToLock", "cameraAccess", "screenCaptureDisabled", "factoryResetDisabled", "frpAdminEmails", "advancedSecurityOverrides", "deviceConnectivityManagement"]);
const ENTERPRISE_FIELDS = new Set(["name", "enterpriseDisplayName", "logo", "primaryColor", "pubsubTopic", "enabledNotificationTypes", "termsAndConditions", "contactInfo", "signinDetails", "appAutoApprovalEnabled", "googleAuthenticationSettings", "enterpriseType", "managedGooglePlayAccountsEnterpriseType", "managedGoogleDomainType"]);

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const unknownQuery = (url: URL, allowed: string[]) => [...url.searchParams.keys()].find((k) => !allowed.includes(k));

/** A Policy body as Google would parse it: the first problem as Google's message, or null. */
export function policyProblem(body: Record<string, unknown>): string | null {
  const unknown = (k: string) => `Invalid JSON payload received. Unknown name "${k}" at 'policy': Cannot find field.`;
  const enumOk = (field: string, v: unknown) => typeof v === "string" && ENUMS[field]!.has(v);
  const badEnum = (path: string, v: unknown) => `Invalid value at 'policy.${path}' (type.googleapis.com/google.android.management.v1.${path}), "${String(v)}"`;
  for (const [k, v] of Object.entries(body)) {
    if (!POLICY_FIELDS.has(k)) return unknown(k);
    if ((k === "screenCaptureDisabled" || k === "factoryResetDisabled") && typeof v !== "boolean") return `Invalid value at 'policy.${k}' (TYPE_BOOL), ${JSON.stringify(v)}`;
    if (k === "maximumTimeToLock" && !(typeof v === "string" ? /^\d+$/.test(v) : Number.isInteger(v))) return `Invalid value at 'policy.maximum_time_to_lock' (TYPE_INT64), ${JSON.stringify(v)}`;
    if (k === "cameraAccess" && !enumOk(k, v)) return badEnum(k, v);
    if (k === "frpAdminEmails" && !(Array.isArray(v) && v.every((e) => typeof e === "string" && e.includes("@")))) return "Invalid value at 'policy.frp_admin_emails'";
    if (k === "passwordPolicies") {
      if (!Array.isArray(v)) return "Invalid value at 'policy.password_policies'";
      for (const p of v) {
        if (!isObject(p)) return "Invalid value at 'policy.password_policies'";
        for (const [pk, pv] of Object.entries(p)) {
          if (!PASSWORD_FIELDS.has(pk)) return unknown(`passwordPolicies.${pk}`);
          if ((pk === "passwordQuality" || pk === "passwordScope") && !enumOk(pk, pv)) return badEnum(`passwordPolicies.${pk}`, pv);
          if (pk === "passwordMinimumLength" && !(Number.isInteger(pv) && (pv as number) >= 0)) return "Invalid value at 'policy.password_policies[0].password_minimum_length' (TYPE_INT32)";
        }
      }
    }
    for (const [group, fields] of [["advancedSecurityOverrides", SECURITY_FIELDS], ["deviceConnectivityManagement", CONNECTIVITY_FIELDS]] as const) {
      if (k !== group) continue;
      if (!isObject(v)) return `Invalid value at 'policy.${k}'`;
      for (const [gk, gv] of Object.entries(v)) {
        if (!fields.has(gk)) return unknown(`${k}.${gk}`);
        if (ENUMS[gk] && !enumOk(gk, gv)) return badEnum(`${k}.${gk}`, gv);
      }
    }
  }
  return null;
}

export function createBinding(deps: BindingDeps) {
  const state: FakeBinding = { signups: [], policies: new Map(), created: [], outage: null };

  function bad(send: Send, message: string) {
    return send(400, { error: { code: 400, message, status: "INVALID_ARGUMENT" } });
  }

  function signupUrlsCreate(req: http.IncomingMessage, url: URL, raw: string, send: Send): number {
    const email = deps.bearer(req);
    if (!email) return send(401, { error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } });
    const extra = unknownQuery(url, ["projectId", "callbackUrl", "adminEmail", "allowedDomains"]);
    if (extra) return bad(send, `Invalid JSON payload received. Unknown name "${extra}": Cannot bind query parameter.`);
    if (raw.trim()) return bad(send, "Invalid JSON payload received. The request body must be empty.");
    const projectId = url.searchParams.get("projectId") ?? "";
    const callbackUrl = url.searchParams.get("callbackUrl") ?? "";
    if (!projectId) return bad(send, "projectId is required.");
    const owner = deps.projectOf(email);
    if (owner && owner !== projectId) return send(403, { error: { code: 403, message: `Permission denied on project ${projectId}.`, status: "PERMISSION_DENIED" } });
    try {
      if (!/^https?:$/.test(new URL(callbackUrl).protocol)) throw new Error();
    } catch {
      return bad(send, "callbackUrl must be an absolute http(s) URL.");
    }
    const s: FakeSignup = { name: `signupUrls/C${randomBytes(8).toString("hex")}`, projectId, callbackUrl, adminEmail: url.searchParams.get("adminEmail"), pageToken: randomBytes(12).toString("base64url"), enterpriseToken: null, enterpriseName: null };
    state.signups.push(s);
    return send(200, { name: s.name, url: `${deps.base()}/signup?token=${s.pageToken}` });
  }

  /** Google's signup page, after the admin has signed in and agreed: back to the callback with a token. */
  function signupPage(url: URL, res: http.ServerResponse): number {
    const s = state.signups.find((x) => x.pageToken === url.searchParams.get("token"));
    if (!s) {
      res.writeHead(404, { "content-type": "text/html" }).end("<title>Not found</title>");
      return 404;
    }
    s.enterpriseToken ??= "EAK" + randomBytes(24).toString("base64url");
    const back = new URL(s.callbackUrl);
    back.searchParams.set("enterpriseToken", s.enterpriseToken);
    res.writeHead(302, { location: back.toString() }).end();
    return 302;
  }

  function enterprisesCreate(req: http.IncomingMessage, url: URL, raw: string, send: Send): number {
    const email = deps.bearer(req);
    if (!email) return send(401, { error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } });
    const extra = unknownQuery(url, ["projectId", "signupUrlName", "enterpriseToken", "agreementAccepted"]);
    if (extra) return bad(send, `Invalid JSON payload received. Unknown name "${extra}": Cannot bind query parameter.`);
    if (url.searchParams.has("agreementAccepted")) return bad(send, "agreementAccepted must not be set for a customer-managed enterprise.");
    let body: unknown;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return bad(send, "Invalid JSON payload received.");
    }
    if (!isObject(body)) return bad(send, "Invalid JSON payload received.");
    const field = Object.keys(body).find((k) => !ENTERPRISE_FIELDS.has(k));
    if (field) return bad(send, `Invalid JSON payload received. Unknown name "${field}" at 'enterprise': Cannot find field.`);
    if (body.enterpriseDisplayName !== undefined && typeof body.enterpriseDisplayName !== "string") return bad(send, "Invalid value at 'enterprise.enterprise_display_name' (TYPE_STRING)");
    const s = state.signups.find((x) => x.name === url.searchParams.get("signupUrlName"));
    const projectId = url.searchParams.get("projectId");
    if (!s || !s.enterpriseToken || s.enterpriseToken !== url.searchParams.get("enterpriseToken")) return bad(send, "Invalid enterprise token.");
    if (s.projectId !== projectId || deps.projectOf(email) !== undefined && deps.projectOf(email) !== projectId) return send(403, { error: { code: 403, message: "The caller does not have permission", status: "PERMISSION_DENIED" } });
    if (s.enterpriseName) return bad(send, "Enterprise token has already been used.");
    const name = `enterprises/LC0${randomBytes(4).toString("hex")}`;
    const displayName = String(body.enterpriseDisplayName ?? "");
    s.enterpriseName = name;
    deps.enterprises.set(name, { name, displayName, policies: [] });
    deps.devices.set(name, []);
    state.created.push({ name, projectId: s.projectId, displayName });
    return send(200, { name, enterpriseDisplayName: displayName });
  }

  function policiesPatch(enterprise: string, name: string, url: URL, raw: string, send: Send): number {
    const extra = unknownQuery(url, ["updateMask"]);
    if (extra) return bad(send, `Invalid JSON payload received. Unknown name "${extra}": Cannot bind query parameter.`);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return bad(send, "Invalid JSON payload received.");
    }
    if (!isObject(body)) return bad(send, "Invalid JSON payload received.");
    const problem = policyProblem(body);
    if (problem) return bad(send, problem);
    const mask = url.searchParams.get("updateMask")?.split(",").filter(Boolean) ?? null;
    for (const path of mask ?? []) {
      const [top, sub] = path.split(".");
      const known = POLICY_FIELDS.has(top!) && (!sub || (top === "advancedSecurityOverrides" && SECURITY_FIELDS.has(sub)) || (top === "deviceConnectivityManagement" && CONNECTIVITY_FIELDS.has(sub)));
      if (!known || path.split(".").length > 2) return bad(send, `Invalid field mask: "${path}" is not a field of Policy.`);
    }
    const before = state.policies.get(name);
    const next: Record<string, unknown> = mask ? structuredClone(before ?? {}) : {};
    if (mask) {
      for (const path of mask) {
        const [top, sub] = path.split(".") as [string, string | undefined];
        const value = sub ? (body[top] as Record<string, unknown> | undefined)?.[sub] : body[top];
        if (sub) {
          const obj = isObject(next[top]) ? (next[top] as Record<string, unknown>) : {};
          if (value === undefined) delete obj[sub];
          else obj[sub] = value;
          next[top] = obj;
        } else if (value === undefined) delete next[top];
        else next[top] = value;
      }
    } else Object.assign(next, body);
    const version = String(Number(before?.version ?? 0) + 1);
    const stored = { ...next, name, version };
    state.policies.set(name, stored);
    const ent = deps.enterprises.get(enterprise)!;
    if (!ent.policies.includes(name)) ent.policies.push(name);
    return send(200, stored);
  }

  /** Answers what this part owns; null leaves the request to the rest of the fake. */
  function handle(req: http.IncomingMessage, url: URL, raw: string, res: http.ServerResponse): number | null {
    const send: Send = (code, body) => {
      res.writeHead(code, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(body));
      return code;
    };
    if (url.pathname === "/signup" && req.method === "GET") return signupPage(url, res);
    if (state.outage && (url.pathname === "/token" || url.pathname.startsWith("/v1/"))) {
      const o = state.outage;
      return send(o.code, { error: { code: o.code, message: o.message, status: o.status } });
    }
    if (url.pathname === "/v1/signupUrls" && req.method === "POST") return signupUrlsCreate(req, url, raw, send);
    if (url.pathname === "/v1/enterprises" && req.method === "POST") return enterprisesCreate(req, url, raw, send);
    const m = /^\/v1\/(enterprises\/[^/]+)\/policies\/([^/]+)$/.exec(url.pathname);
    if (!m || !deps.enterprises.has(m[1]!)) return null;
    const name = `${m[1]}/policies/${m[2]}`;
    if (req.method === "PATCH") {
      if (!deps.bearer(req)) return null; // the fake's own 401
      if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) return bad(send, "Invalid JSON payload received.");
      return policiesPatch(m[1]!, name, url, raw, send);
    }
    if (req.method === "GET" && state.policies.has(name) && deps.bearer(req)) return send(200, state.policies.get(name));
    return null;
  }

  return { state, handle };
}
