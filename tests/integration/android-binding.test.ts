import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeAmapi, type FakeAmapi } from "../support/fake-amapi";
import { policyProblem } from "../support/fake-amapi-binding";
import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import { completeAndroidSignup, pendingSignup, signupResult, startAndroidSignup } from "@/lib/android/binding";
import { androidPolicies, pushPolicy, removeGroupPolicy } from "@/lib/android/policies";
import { DEFAULT_POLICY, parsePolicyForm, toAmapiPolicy, type PolicySettings } from "@/lib/android/policy";
import { createAndroidEnrollment } from "@/lib/android/service";
import { androidEnrollmentForTicket } from "@/lib/android/go";
import { issueTicket } from "@/lib/invitations/tickets";
import { recentEnrollmentFailures } from "@/lib/android/reference";

useOwnDatabase();

// Enterprise binding ("Sign up with Google"), policies and enrollment failures against
// tests/support/fake-amapi.ts over HTTP, with real RSA keys and a real database.

const ctx = { ip: "192.0.2.8", userAgent: "vitest" };
const EMAIL = "bind@mamori-bind.iam.gserviceaccount.com";
const PROJECT = "mamori-bind";
const BASE = "https://mdm.example.jp";
let fake: FakeAmapi;
let keyJson: string;
let admin: { id: string; label: string };
let other: { id: string; label: string };
const saved = { AMAPI_URL: process.env.AMAPI_URL, GOOGLE_OAUTH_TOKEN_URL: process.env.GOOGLE_OAUTH_TOKEN_URL };

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isUserError(e)) return e.code;
    throw e;
  }
  throw new Error("expected a UserError");
}

/** What the admin's browser does at Google: open the signup URL, follow the redirect back. */
async function visitGoogle(signupUrl: string): Promise<URL> {
  const res = await fetch(signupUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  keyJson = JSON.stringify({ type: "service_account", project_id: PROJECT, private_key_id: "k1", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: EMAIL });
  fake = await startFakeAmapi({ serviceAccounts: [{ clientEmail: EMAIL, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), projectId: PROJECT }], enterprises: [] });
  process.env.AMAPI_URL = fake.url;
  process.env.GOOGLE_OAUTH_TOKEN_URL = fake.tokenUrl;
  const a = await prisma().user.create({ data: { email: "bind-admin@example.jp", displayName: "Admin", role: "ADMIN" } });
  const b = await prisma().user.create({ data: { email: "bind-other@example.jp", displayName: "Other", role: "ADMIN" } });
  admin = { id: a.id, label: a.email };
  other = { id: b.id, label: b.email };
});

afterAll(async () => {
  await fake.close();
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
});

describe("policy form", () => {
  it("becomes the current AMAPI fields, which the strict fake accepts", () => {
    const body = toAmapiPolicy(DEFAULT_POLICY);
    expect(body).toEqual({
      passwordPolicies: [{ passwordScope: "SCOPE_DEVICE", passwordQuality: "NUMERIC_COMPLEX", passwordMinimumLength: 6 }],
      maximumTimeToLock: "300000",
      cameraAccess: "CAMERA_ACCESS_USER_CHOICE",
      screenCaptureDisabled: false,
      factoryResetDisabled: false,
      frpAdminEmails: [],
      advancedSecurityOverrides: { untrustedAppsPolicy: "DISALLOW_INSTALL", developerSettings: "DEVELOPER_SETTINGS_DISABLED" },
      deviceConnectivityManagement: { usbDataAccess: "DISALLOW_USB_FILE_TRANSFER" },
    });
    expect(policyProblem(body)).toBeNull();
    // The fake refuses the deprecated booleans and made-up enum values.
    expect(policyProblem({ cameraDisabled: true })).toContain('Unknown name "cameraDisabled"');
    expect(policyProblem({ cameraAccess: "CAMERA_OFF" })).toContain("Invalid value");
  });

  it("refuses what the form cannot mean", () => {
    const form = { screenLock: "NUMERIC", minLength: "6", autoLockMinutes: "5", usb: "ALLOW_USB_DATA_TRANSFER", unknownApps: "DISALLOW_INSTALL" };
    expect(() => parsePolicyForm({ ...form, screenLock: "FACE" })).toThrow("android.policyScreenLock");
    expect(() => parsePolicyForm({ ...form, minLength: "17" })).toThrow("android.policyMinLength");
    expect(() => parsePolicyForm({ ...form, autoLockMinutes: "7" })).toThrow("android.policyAutoLock");
    expect(() => parsePolicyForm({ ...form, usb: "SOMETIMES" })).toThrow("android.policyChoice");
    expect(() => parsePolicyForm({ ...form, frpAdminEmails: "it@example.jp not-an-address" })).toThrow("android.policyFrpEmail");
    expect(parsePolicyForm({ ...form, cameraDisabled: "on", frpAdminEmails: "IT@example.jp, it@example.jp" })).toMatchObject({ cameraDisabled: true, frpAdminEmails: ["it@example.jp"], screenCaptureDisabled: false });
  });
});

describe("signup", () => {
  let state = "";
  let enterpriseToken = "";

  it("refuses a key without a project and changes nothing", async () => {
    const k = JSON.parse(keyJson);
    delete k.project_id;
    expect(await code(startAndroidSignup({ keyJson: JSON.stringify(k), displayName: "Example K.K." }, admin, BASE, ctx))).toBe("android.keyNoProject");
    expect(await prisma().androidSignup.count()).toBe(0);
    expect(fake.binding.signups).toHaveLength(0);
  });

  it("asks Google for a signup URL whose callback carries a random state kept only as a hash", async () => {
    const url = await startAndroidSignup({ keyJson, displayName: "Example K.K.", adminEmail: "it@example.jp" }, admin, BASE, ctx);
    const [s] = fake.binding.signups;
    expect(url).toBe(`${fake.url}/signup?token=${s!.pageToken}`);
    expect(s).toMatchObject({ projectId: PROJECT, adminEmail: "it@example.jp" });
    const cb = new URL(s!.callbackUrl);
    expect(`${cb.origin}${cb.pathname}`).toBe(`${BASE}/admin/android/signup`);
    state = cb.searchParams.get("state")!;
    const row = await prisma().androidSignup.findFirstOrThrow();
    expect(row).toMatchObject({ signupUrlName: s!.name, projectId: PROJECT, createdById: admin.id, usedAt: null });
    expect(JSON.stringify(row)).not.toContain(state);
    expect(row.privateKeySealed).not.toContain("PRIVATE KEY");
    enterpriseToken = (await visitGoogle(url)).searchParams.get("enterpriseToken")!;
    expect(enterpriseToken).toMatch(/^EAK/);
  });

  it("refuses a forged state, another admin and a missing token, and changes nothing", async () => {
    // The confirmation page only looks.
    expect(await pendingSignup(state, admin.id)).toEqual({ displayName: "Example K.K.", projectId: PROJECT });
    expect(await pendingSignup(state, other.id)).toEqual({ refused: "otherAdmin" });
    expect(await pendingSignup("x".repeat(43), admin.id)).toEqual({ refused: "unknown" });
    expect(await completeAndroidSignup({ state: "x".repeat(43), enterpriseToken }, admin, ctx)).toEqual({ refused: "unknown" });
    expect(await completeAndroidSignup({ state, enterpriseToken }, other, ctx)).toEqual({ refused: "otherAdmin" });
    expect(await completeAndroidSignup({ state, enterpriseToken: null }, admin, ctx)).toEqual({ refused: "noToken" });
    const later = new Date(Date.now() + 3 * 3600_000);
    expect(await pendingSignup(state, admin.id, later)).toEqual({ refused: "expired" });
    expect(await completeAndroidSignup({ state, enterpriseToken }, admin, ctx, later)).toEqual({ refused: "expired" });
    expect(await prisma().androidEnterprise.count()).toBe(0);
    expect((await prisma().androidSignup.findFirstOrThrow()).usedAt).toBeNull();
    expect(fake.binding.created).toHaveLength(0);
    const denied = await prisma().auditEvent.findMany({ where: { action: "android.signup_complete", result: "DENIED" }, orderBy: { id: "asc" } });
    expect(denied.map((d) => (d.details as { reason: string }).reason)).toEqual(["unknown", "otherAdmin", "noToken", "expired"]);
  });

  it("creates the enterprise with that signup's name and token, stores it and sends the default policy", async () => {
    const outcome = await completeAndroidSignup({ state, enterpriseToken }, admin, ctx);
    expect("signupId" in outcome).toBe(true);
    const [created] = fake.binding.created;
    expect(created).toMatchObject({ projectId: PROJECT, displayName: "Example K.K." });
    const create = fake.requests.find((r) => r.method === "POST" && r.path.startsWith("/v1/enterprises?"))!;
    const q = new URL(create.path, fake.url).searchParams;
    expect(Object.fromEntries(q)).toEqual({ projectId: PROJECT, signupUrlName: fake.binding.signups[0]!.name, enterpriseToken });
    expect(create.body).toEqual({ enterpriseDisplayName: "Example K.K." });
    const row = await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } });
    expect(row).toMatchObject({ enterpriseName: created!.name, policyName: `${created!.name}/policies/default`, projectId: PROJECT, clientEmail: EMAIL });
    expect(fake.binding.policies.get(row.policyName)).toMatchObject(toAmapiPolicy(DEFAULT_POLICY));
    expect((await androidPolicies()).defaultPolicy).toMatchObject({ name: row.policyName, settings: DEFAULT_POLICY, lastError: null });
    expect(await signupResult((outcome as { signupId: string }).signupId, admin.id)).toMatchObject({ ok: true, enterpriseName: created!.name });
    expect(await signupResult((outcome as { signupId: string }).signupId, other.id)).toBeNull();
  });

  it("refuses the same callback again (a replay) and creates nothing more", async () => {
    const before = fake.requests.length;
    expect(await completeAndroidSignup({ state, enterpriseToken }, admin, ctx)).toEqual({ refused: "used" });
    expect(await pendingSignup(state, admin.id)).toEqual({ refused: "used" });
    expect(fake.requests.length).toBe(before);
    expect(fake.binding.created).toHaveLength(1);
  });

  it("refuses a second signup while an enterprise is connected", async () => {
    expect(await code(startAndroidSignup({ keyJson, displayName: "Again" }, admin, BASE, ctx))).toBe("android.alreadyBound");
  });
});

describe("policies", () => {
  const strict: PolicySettings = { ...DEFAULT_POLICY, screenLock: "ALPHANUMERIC", minLength: 8, cameraDisabled: true, screenCaptureDisabled: true, usb: "DISALLOW_USB_DATA_TRANSFER", factoryResetDisabled: true, frpAdminEmails: ["it@example.jp"] };

  it("patches only the fields Mamori owns and keeps what Google has beside them", async () => {
    const ent = await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } });
    fake.binding.policies.get(ent.policyName)!.applications = [{ packageName: "jp.example.app", installType: "FORCE_INSTALLED" }];
    await pushPolicy(null, strict, admin, ctx);
    const patch = fake.requests.filter((r) => r.method === "PATCH").at(-1)!;
    expect(new URL(patch.path, fake.url).searchParams.get("updateMask")!.split(",")).toContain("deviceConnectivityManagement.usbDataAccess");
    const atGoogle = fake.binding.policies.get(ent.policyName)!;
    expect(atGoogle).toMatchObject({ cameraAccess: "CAMERA_ACCESS_DISABLED", screenCaptureDisabled: true, factoryResetDisabled: true, frpAdminEmails: ["it@example.jp"], deviceConnectivityManagement: { usbDataAccess: "DISALLOW_USB_DATA_TRANSFER" } });
    expect(atGoogle.applications).toEqual([{ packageName: "jp.example.app", installType: "FORCE_INSTALLED" }]);
    expect(atGoogle.passwordPolicies).toEqual([{ passwordScope: "SCOPE_DEVICE", passwordQuality: "ALPHANUMERIC", passwordMinimumLength: 8 }]);
    expect((await androidPolicies()).defaultPolicy?.settings).toEqual(strict);
    const audited = await prisma().auditEvent.findFirst({ where: { action: "android.policy_update", result: "SUCCESS" }, orderBy: { id: "desc" } });
    expect(audited?.details).toMatchObject({ policyName: ent.policyName, settings: { cameraDisabled: true } });
  });

  it("keeps Google's refusal with its reason and leaves the stored settings as they were", async () => {
    fake.binding.outage = { code: 400, status: "INVALID_ARGUMENT", message: "Policy is invalid for this enterprise." };
    try {
      expect(await code(pushPolicy(null, DEFAULT_POLICY, admin, ctx))).toBe("android.badRequest");
    } finally {
      fake.binding.outage = null;
    }
    const p = (await androidPolicies()).defaultPolicy!;
    expect(p.settings).toEqual(strict);
    expect(p.lastError).toEqual({ code: "android.badRequest", params: { detail: "Policy is invalid for this enterprise." } });
    const failed = await prisma().auditEvent.findFirst({ where: { action: "android.policy_update", result: "FAILURE" } });
    expect(failed?.details).toMatchObject({ code: "android.badRequest" });
  });

  it("gives a group its own policy, used for its users' enrollment tokens", async () => {
    const ent = await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } });
    const group = await prisma().userGroup.create({ data: { name: "Sales" } });
    const inGroup = await prisma().user.create({ data: { email: "sales@example.jp", displayName: "Sales", role: "END_USER", groupId: group.id } });
    const outside = await prisma().user.create({ data: { email: "dev@example.jp", displayName: "Dev", role: "END_USER" } });
    const name = await pushPolicy(group.id, { ...DEFAULT_POLICY, cameraDisabled: true }, admin, ctx);
    expect(name).toBe(`${ent.enterpriseName}/policies/group-${group.id}`);
    expect(fake.binding.policies.get(name)).toMatchObject({ cameraAccess: "CAMERA_ACCESS_DISABLED" });
    await createAndroidEnrollment(inGroup.id, { id: inGroup.id, label: inGroup.email }, ctx);
    await createAndroidEnrollment(outside.id, { id: outside.id, label: outside.email }, ctx);
    expect(fake.enrollmentTokens.map((t) => t.policyName)).toEqual([name, ent.policyName]);
    expect((await androidPolicies()).groups.map((g) => g.groupName)).toEqual(["Sales"]);
    await removeGroupPolicy(group.id, admin, ctx);
    await createAndroidEnrollment(inGroup.id, { id: inGroup.id, label: inGroup.email }, ctx);
    expect(fake.enrollmentTokens.at(-1)!.policyName).toBe(ent.policyName);
  });
});

describe("enrollment failures", () => {
  it("give the user a reference, never a host or errno; the audit row has the reference and Google's reason", async () => {
    const u = await prisma().user.create({ data: { email: "haru@example.jp", displayName: "Haru", role: "END_USER", passwordHash: "x" } });
    const ticket = await issueTicket(u.id, "GO", { id: u.id, label: u.email });
    const url = process.env.AMAPI_URL;
    process.env.AMAPI_URL = "http://127.0.0.1:1"; // nothing listens: connection refused
    let error: unknown;
    try {
      await androidEnrollmentForTicket(ticket.secret, "link", ctx);
    } catch (e) {
      error = e;
    } finally {
      process.env.AMAPI_URL = url;
    }
    expect(isUserError(error) && error.code).toBe("android.enrollFailed");
    const reference = (error as { params: { reference: string } }).params.reference;
    expect(reference).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    expect(JSON.stringify((error as { params: unknown }).params)).not.toMatch(/127\.0\.0\.1|ECONN|fetch failed/);
    const row = await prisma().auditEvent.findFirstOrThrow({ where: { action: "android.enrollment_token", result: "FAILURE" } });
    expect(row.details).toMatchObject({ reference, code: "android.network", params: { host: "127.0.0.1:1" } });
    expect((await recentEnrollmentFailures())[0]).toMatchObject({ reference, user: u.email, code: "android.network" });
  });

  it("a Google outage (503) is a reference too", async () => {
    const u = await prisma().user.create({ data: { email: "aoi@example.jp", displayName: "Aoi", role: "END_USER" } });
    fake.binding.outage = { code: 503, status: "UNAVAILABLE", message: "The service is currently unavailable." };
    try {
      expect(await code(createAndroidEnrollment(u.id, { id: u.id, label: u.email }, ctx))).toBe("android.enrollFailed");
    } finally {
      fake.binding.outage = null;
    }
    expect((await recentEnrollmentFailures())[0]).toMatchObject({ user: u.email, code: "android.http", params: { status: 503 } });
  });
});
