import { UserError } from "@/lib/errors";
import { amapi, amapiBaseUrl } from "./client";

// The AMAPI calls of enterprise binding and policies:
//   POST  /v1/signupUrls?projectId=&callbackUrl=&adminEmail=   signupUrls.create, empty body
//         https://developers.google.com/android/management/reference/rest/v1/signupUrls/create
//   POST  /v1/enterprises?projectId=&signupUrlName=&enterpriseToken=   enterprises.create, body Enterprise
//         https://developers.google.com/android/management/reference/rest/v1/enterprises/create
//   PATCH /v1/enterprises/{e}/policies/{p}?updateMask=   policies.patch ("updates or creates")
//         https://developers.google.com/android/management/reference/rest/v1/enterprises.policies/patch

export interface SignupUrl {
  name: string;
  url: string;
}

const SIGNUP_NAME = /^signupUrls\/[A-Za-z0-9_-]{1,200}$/;
const ENTERPRISE_NAME = /^enterprises\/[A-Za-z0-9_-]{1,100}$/;

/** A signup URL is where the admin's browser goes: https only (or the same origin as AMAPI_URL, for the test fake). */
function safeSignupUrl(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  try {
    const u = new URL(raw);
    if (u.protocol === "https:" || u.origin === new URL(amapiBaseUrl()).origin) return u.toString();
  } catch {
    /* not a URL */
  }
  return null;
}

export async function createSignupUrl(token: string, input: { projectId: string; callbackUrl: string; adminEmail?: string | null }): Promise<SignupUrl> {
  const q = new URLSearchParams({ projectId: input.projectId, callbackUrl: input.callbackUrl, ...(input.adminEmail && { adminEmail: input.adminEmail }) });
  const json = await amapi(token, "POST", `signupUrls?${q}`);
  const url = safeSignupUrl(json.url);
  if (typeof json.name !== "string" || !SIGNUP_NAME.test(json.name) || !url) throw new UserError("android.badResponse", { detail: "signupUrls.create" });
  return { name: json.name, url };
}

export async function createEnterprise(
  token: string,
  input: { projectId: string; signupUrlName: string; enterpriseToken: string; displayName: string },
): Promise<{ name: string; displayName: string | null }> {
  const q = new URLSearchParams({ projectId: input.projectId, signupUrlName: input.signupUrlName, enterpriseToken: input.enterpriseToken });
  const json = await amapi(token, "POST", `enterprises?${q}`, { enterpriseDisplayName: input.displayName });
  if (typeof json.name !== "string" || !ENTERPRISE_NAME.test(json.name)) throw new UserError("android.badResponse", { detail: "enterprises.create" });
  return { name: json.name, displayName: typeof json.enterpriseDisplayName === "string" ? json.enterpriseDisplayName : null };
}

/** policies.patch limited to `updateMask`: fields Mamori does not manage (apps, say) stay as they are. */
export async function patchPolicy(token: string, policyName: string, body: Record<string, unknown>, updateMask: string[]): Promise<Record<string, unknown>> {
  return amapi(token, "PATCH", `${policyName}?${new URLSearchParams({ updateMask: updateMask.join(",") })}`, body);
}
