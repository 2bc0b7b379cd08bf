import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeAmapi, type FakeAmapi } from "../support/fake-amapi";
import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import { createAndroidEnrollment, saveAndroidSettings, testAndroidConnection, androidSettings } from "@/lib/android/service";
import { syncAndroidDevices } from "@/lib/android/sync";
import { startAndroidSync } from "@/lib/android/job";
import { finishedJob as finished, startTestJobs } from "../support/jobs";
import { parseServiceAccount, signAssertion } from "@/lib/android/client";
import { androidEnrollmentForTicket } from "@/lib/android/go";
import { issueTicket } from "@/lib/invitations/tickets";
import { reset } from "@/lib/rate-limit";

useOwnDatabase();

// Google's token endpoint and the Android Management API are tests/support/fake-amapi.ts on
// 127.0.0.1; the service-account keys are real RSA keys made here. No mocks.

const ENTERPRISE = "enterprises/LC00abc123";
const POLICY = `${ENTERPRISE}/policies/default`;
const ctx = { ip: "192.0.2.7", userAgent: "vitest" };
const admin = { id: randomUUID(), label: "admin@example.jp" };

function serviceAccount(email: string) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const json = JSON.stringify({
    type: "service_account",
    project_id: "mamori-test",
    private_key_id: "0123456789abcdef",
    private_key: pem,
    client_email: email,
    client_id: "1234567890",
    token_uri: "https://oauth2.googleapis.com/token",
  });
  return { json, pem, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

const good = serviceAccount("mamori@mamori-test.iam.gserviceaccount.com");
const stranger = serviceAccount("other@mamori-test.iam.gserviceaccount.com");
let fake: FakeAmapi;
const saved = { AMAPI_URL: process.env.AMAPI_URL, GOOGLE_OAUTH_TOKEN_URL: process.env.GOOGLE_OAUTH_TOKEN_URL };

beforeAll(async () => {
  fake = await startFakeAmapi({
    // The stranger's key is unknown to Google: its email is registered with another public key.
    serviceAccounts: [{ clientEmail: "mamori@mamori-test.iam.gserviceaccount.com", publicKeyPem: good.publicKeyPem }, { clientEmail: "other@mamori-test.iam.gserviceaccount.com", publicKeyPem: good.publicKeyPem }],
    enterprises: [{ name: ENTERPRISE, displayName: "Example K.K.", policies: [POLICY] }],
  });
  process.env.AMAPI_URL = fake.url;
  process.env.GOOGLE_OAUTH_TOKEN_URL = fake.tokenUrl;
});

afterAll(async () => {
  await fake.close();
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isUserError(e)) return e.code;
    throw e;
  }
  throw new Error("expected a UserError");
}

async function user(email: string) {
  return prisma().user.create({ data: { email, displayName: email.split("@")[0]!, role: "END_USER" } });
}

describe("settings", () => {
  it("refuse bad input and change nothing", async () => {
    expect(await code(saveAndroidSettings({ enterpriseName: "LC00abc123", policyName: POLICY, keyJson: good.json }, admin, ctx))).toBe("android.enterpriseInvalid");
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: "default", keyJson: good.json }, admin, ctx))).toBe("android.policyInvalid");
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: "enterprises/LCother/policies/default", keyJson: good.json }, admin, ctx))).toBe("android.policyOtherEnterprise");
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: "" }, admin, ctx))).toBe("android.keyRequired");
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: "{not json" }, admin, ctx))).toBe("android.keyNotJson");
    const k = JSON.parse(good.json);
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: JSON.stringify({ ...k, type: "authorized_user" }) }, admin, ctx))).toBe("android.keyNotServiceAccount");
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: JSON.stringify({ ...k, client_email: "" }) }, admin, ctx))).toBe("android.keyNoEmail");
    const lines = k.private_key.split("\n");
    const broken = [...lines.slice(0, 3), ...lines.slice(10)].join("\n"); // PEM armour intact, DER cut
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: JSON.stringify({ ...k, private_key: broken }) }, admin, ctx))).toBe("android.keyBadPrivateKey");
    expect(await code(saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: JSON.stringify({ ...k, private_key: "hello" }) }, admin, ctx))).toBe("android.keyBadPrivateKey");
    expect(await prisma().androidEnterprise.count()).toBe(0);
    expect(await code(testAndroidConnection(admin, ctx))).toBe("android.notConfigured");
  });

  it("seal the private key and never hand it back", async () => {
    const view = await saveAndroidSettings({ enterpriseName: ` ${ENTERPRISE} `, policyName: POLICY, keyJson: good.json }, admin, ctx);
    expect(view).toEqual({ enterpriseName: ENTERPRISE, policyName: POLICY, clientEmail: "mamori@mamori-test.iam.gserviceaccount.com", lastSyncAt: null, lastSyncResult: null });
    const row = await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.privateKeySealed).not.toContain("PRIVATE KEY");
    expect(row.privateKeySealed).not.toContain(good.pem.split("\n")[1]!);
    expect(JSON.stringify(await androidSettings())).not.toContain("PRIVATE");
    // Saving again without a key keeps the stored one.
    await saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: "" }, admin, ctx);
    expect((await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } })).privateKeySealed).toBe(row.privateKeySealed);
    const events = await prisma().auditEvent.findMany({ where: { action: "android.settings_update" } });
    expect(events).toHaveLength(2);
    expect(JSON.stringify(events.map((e) => e.details))).not.toContain("PRIVATE KEY");
  });
});

describe("test connection", () => {
  it("gets a token (RS256 JWT checked by the fake) and reads the enterprise and policy", async () => {
    const r = await testAndroidConnection(admin, ctx);
    expect(r).toEqual({ enterpriseName: ENTERPRISE, displayName: "Example K.K.", policyName: POLICY });
    const grant = fake.requests.find((q) => q.path === "/token");
    expect(grant?.status).toBe(200);
    expect(fake.requests.filter((q) => q.path.startsWith("/v1/")).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([`GET /v1/${ENTERPRISE} 200`, `GET /v1/${POLICY} 200`]);
    // The access token is cached (sealed) in the database: a second test asks for none.
    const grants = fake.requests.filter((q) => q.path === "/token").length;
    await testAndroidConnection(admin, ctx);
    expect(fake.requests.filter((q) => q.path === "/token").length).toBe(grants);
    const row = await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.accessTokenSealed).not.toContain("ya29");
  });

  it("says so when the key is not the one Google knows", async () => {
    await saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: stranger.json }, admin, ctx);
    expect(await code(testAndroidConnection(admin, ctx))).toBe("android.authFailed");
    expect(fake.requests.at(-1)).toMatchObject({ path: "/token", status: 400 });
    const failed = await prisma().auditEvent.findFirst({ where: { action: "android.test_connection", result: "FAILURE" } });
    expect(failed?.details).toEqual({ code: "android.authFailed" });
  });

  it("says so when the enterprise does not exist (404)", async () => {
    await saveAndroidSettings({ enterpriseName: "enterprises/LCnothere", policyName: "enterprises/LCnothere/policies/default", keyJson: good.json }, admin, ctx);
    expect(await code(testAndroidConnection(admin, ctx))).toBe("android.notFound");
    expect(fake.requests.at(-1)).toMatchObject({ path: "/v1/enterprises/LCnothere", status: 404 });
    await saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson: good.json }, admin, ctx);
  });

  it("says so when Google cannot be reached", async () => {
    const url = process.env.AMAPI_URL;
    process.env.AMAPI_URL = "http://127.0.0.1:1";
    try {
      expect(await code(testAndroidConnection(admin, ctx))).toBe("android.network");
    } finally {
      process.env.AMAPI_URL = url;
    }
  });

  it("signs the assertion the fake verifies, with the documented claims", () => {
    const sa = parseServiceAccount(good.json);
    const jwt = signAssertion(sa, "https://oauth2.googleapis.com/token", new Date("2026-01-01T00:00:00Z"));
    const [h, c] = jwt.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>);
    expect(h).toEqual({ alg: "RS256", typ: "JWT", kid: "0123456789abcdef" });
    expect(c).toEqual({ iss: sa.clientEmail, scope: "https://www.googleapis.com/auth/androidmanagement", aud: "https://oauth2.googleapis.com/token", iat: 1767225600, exp: 1767229200 });
  });
});

describe("enrollment tokens", () => {
  it("carry the Mamori user id, one-time, for the configured policy", async () => {
    const u = await user("hanako@example.jp");
    const t = await createAndroidEnrollment(u.id, { id: u.id, label: u.email }, ctx);
    expect(t.url).toBe(`https://enterprise.google.com/android/enroll?et=${t.value}`);
    expect(t.value).toMatch(/^[A-Z]{20}$/);
    expect(JSON.parse(t.qrCode!)["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"]).toBe(t.value);
    const sent = fake.requests.filter((q) => q.method === "POST" && q.path.endsWith("/enrollmentTokens")).at(-1)!;
    expect(sent).toMatchObject({ path: `/v1/${ENTERPRISE}/enrollmentTokens`, status: 200 });
    expect(sent.body).toEqual({ policyName: POLICY, duration: "3600s", oneTimeOnly: true, additionalData: JSON.stringify({ mamoriUserId: u.id }) });
    const ev = await prisma().auditEvent.findFirst({ where: { action: "android.enrollment_token", targetId: u.id } });
    expect(ev?.actorLabel).toBe("hanako@example.jp");
    expect(JSON.stringify(ev?.details)).not.toContain(t.value);
  });

  it("are limited per user and hour", async () => {
    const u = await user("many@example.jp");
    for (let i = 0; i < 10; i++) await createAndroidEnrollment(u.id, { id: u.id, label: u.email }, ctx);
    const before = fake.enrollmentTokens.length;
    expect(await code(createAndroidEnrollment(u.id, { id: u.id, label: u.email }, ctx))).toBe("android.rateLimited");
    expect(fake.enrollmentTokens.length).toBe(before);
    expect(await prisma().auditEvent.count({ where: { action: "android.enrollment_token", result: "DENIED", targetId: u.id } })).toBe(1);
  });

  it("use a fresh access token when the cached one is about to expire", async () => {
    const u = await user("fresh@example.jp");
    await prisma().androidEnterprise.update({ where: { id: 1 }, data: { accessTokenExpiry: new Date(Date.now() + 30_000) } });
    const grants = fake.requests.filter((q) => q.path === "/token").length;
    await createAndroidEnrollment(u.id, { id: u.id, label: u.email }, ctx);
    expect(fake.requests.filter((q) => q.path === "/token").length).toBe(grants + 1);
    const row = await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } });
    expect(row.accessTokenExpiry!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
  });

  it("are refused for a disabled user", async () => {
    const u = await prisma().user.create({ data: { email: "gone@example.jp", displayName: "gone", disabled: true, role: "END_USER" } });
    const before = fake.enrollmentTokens.length;
    expect(await code(createAndroidEnrollment(u.id, { id: u.id, label: u.email }, ctx))).toBe("android.userUnknown");
    expect(fake.enrollmentTokens.length).toBe(before);
  });
});

describe("the fake is as strict as Google", () => {
  const post = (path: string, body: string, headers: Record<string, string>) => fetch(fake.url + path, { method: "POST", body, headers });
  it("refuses a grant with a wrong audience, scope or grant type, and calls without a valid token", async () => {
    const sa = parseServiceAccount(good.json);
    const form = (assertion: string, grant = "urn:ietf:params:oauth:grant-type:jwt-bearer") => new URLSearchParams({ grant_type: grant, assertion }).toString();
    const ct = { "content-type": "application/x-www-form-urlencoded" };
    const wrongAud = await post("/token", form(signAssertion(sa, "https://oauth2.googleapis.com/token")), ct);
    expect(wrongAud.status).toBe(400);
    expect(await wrongAud.json()).toMatchObject({ error: "invalid_grant" });
    expect((await post("/token", form(signAssertion(sa, fake.tokenUrl), "client_credentials"), ct)).status).toBe(400);
    const stale = await post("/token", form(signAssertion(sa, fake.tokenUrl, new Date(Date.now() - 2 * 3600_000))), ct);
    expect(stale.status).toBe(400);
    const ok = await post("/token", form(signAssertion(sa, fake.tokenUrl)), ct);
    const token = ((await ok.json()) as { access_token: string }).access_token;
    const noAuth = await fetch(`${fake.url}/v1/${ENTERPRISE}`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } });
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const badDuration = await post(`/v1/${ENTERPRISE}/enrollmentTokens`, JSON.stringify({ policyName: POLICY, duration: "3600" }), auth);
    expect(badDuration.status).toBe(400);
    expect(await badDuration.json()).toMatchObject({ error: { status: "INVALID_ARGUMENT" } });
    expect((await post(`/v1/${ENTERPRISE}/enrollmentTokens`, JSON.stringify({ policyName: POLICY, userId: "x" }), auth)).status).toBe(400);
    expect((await post(`/v1/${ENTERPRISE}/enrollmentTokens`, JSON.stringify({ policyName: `${ENTERPRISE}/policies/missing` }), auth)).status).toBe(404);
    expect((await fetch(`${fake.url}/v1/${ENTERPRISE}/devices?pageToken=garbage`, { headers: auth })).status).toBe(400);
  });
});

describe("/go on Android", () => {
  it("makes a token for the ticket's user only, with the link and a QR code", async () => {
    const u = await user("jiro@example.jp");
    const ticket = await issueTicket(u.id, "GO", { id: u.id, label: u.email });
    const r = await androidEnrollmentForTicket(ticket.secret, "qr", ctx);
    expect(r.url).toMatch(/^https:\/\/enterprise\.google\.com\/android\/enroll\?et=[A-Z]{20}$/);
    expect(r.qrSvg).toContain("<svg");
    const sent = fake.requests.filter((q) => q.path.endsWith("/enrollmentTokens")).at(-1)!;
    expect((sent.body as { additionalData: string }).additionalData).toBe(JSON.stringify({ mamoriUserId: u.id }));
    expect(await code(androidEnrollmentForTicket("not-a-ticket", "link", ctx))).toBe("go.ticketExpired");
    const needsPassword = await issueTicket(u.id, "GO", { id: u.id, label: u.email }, { needsPassword: true });
    expect(await code(androidEnrollmentForTicket(needsPassword.secret, "link", ctx))).toBe("go.setPasswordFirst");
  });
});

describe("device sync", () => {
  let owner: { id: string; email: string };
  beforeEach(async () => {
    await prisma().device.deleteMany({ where: { platform: "ANDROID" } });
    for (const list of fake.devices.values()) list.length = 0;
    fake.maxPageSize = 100;
    fake.devicesBody = null;
    owner = await prisma().user.upsert({ where: { email: "taro@example.jp" }, create: { email: "taro@example.jp", displayName: "taro", role: "END_USER" }, update: {} });
    await reset(`android.token:user:${owner.id}`);
  });

  it("creates devices with their owners, over several pages", async () => {
    fake.maxPageSize = 2;
    const serials: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
      serials.push(`SN-PAGE-${i}`);
      fake.enroll(t.value, { serialNumber: `SN-PAGE-${i}`, androidVersion: "15", at: new Date(Date.UTC(2026, 0, 1 + i)) });
    }
    const r = await syncAndroidDevices(new Date());
    expect(r).toEqual({ created: 5, updated: 0, retired: 0, skipped: 0, missing: 0 });
    const lists = fake.requests.filter((q) => q.path.startsWith(`/v1/${ENTERPRISE}/devices`));
    expect(lists.slice(-3).map((q) => q.status)).toEqual([200, 200, 200]);
    expect(lists.at(-1)!.path).toContain("pageToken=");
    const rows = await prisma().device.findMany({ where: { platform: "ANDROID" }, orderBy: { serialNumber: "asc" } });
    expect(rows.map((d) => d.serialNumber)).toEqual(serials);
    expect(rows.every((d) => d.ownerId === owner.id && d.status === "ACTIVE" && d.osVersion === "15" && d.model === "Pixel 8 Pro" && d.amapiName?.startsWith(`${ENTERPRISE}/devices/`))).toBe(true);
    expect(rows[0]!.lastCheckInAt?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const enrolls = await prisma().auditEvent.findMany({ where: { action: "device.enroll", targetId: { in: rows.map((d) => d.id) } } });
    expect(enrolls).toHaveLength(5);
    expect(enrolls[0]!.details).toMatchObject({ platform: "android" });
    // A second run changes nothing and audits nothing new.
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 5, retired: 0, skipped: 0, missing: 0 });
    expect(await prisma().auditEvent.count({ where: { action: "device.enroll", targetId: { in: rows.map((d) => d.id) } } })).toBe(5);
  });

  it("re-enrollment with the same serial number replaces the record; deleted devices are retired", async () => {
    const t1 = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
    const first = fake.enroll(t1.value, { serialNumber: "SN-RE-1", at: new Date("2026-02-01T00:00:00Z") });
    await syncAndroidDevices(new Date());
    const before = await prisma().device.findUniqueOrThrow({ where: { amapiName: String(first.name) } });
    // The phone is reset and set up again: a new AMAPI device with the same serial; the old one lingers.
    const t2 = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
    const second = fake.enroll(t2.value, { serialNumber: "SN-RE-1", at: new Date("2026-03-01T00:00:00Z"), androidVersion: "15" });
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 2, retired: 0, skipped: 0, missing: 0 });
    const rows = await prisma().device.findMany({ where: { serialNumber: "SN-RE-1" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: before.id, amapiName: second.name, osVersion: "15", status: "ACTIVE" });
    expect(await prisma().auditEvent.count({ where: { action: "device.reenroll", targetId: before.id } })).toBe(1);
    // The stale record no longer wins it back.
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 1, retired: 0, skipped: 1, missing: 0 });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: before.id } })).amapiName).toBe(second.name);
    // Deleted in AMAPI (devices.list no longer lists it): marked by the first sync, retired by the next.
    fake.remove(String(first.name));
    fake.remove(String(second.name));
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 0, retired: 0, skipped: 0, missing: 1 });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: before.id } })).status).toBe("ACTIVE");
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 0, retired: 1, skipped: 0, missing: 0 });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: before.id } })).status).toBe("RETIRED");
  });

  it("a malformed devices.list answer fails the job and retires nothing", async () => {
    await startTestJobs();
    const t = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
    const d = fake.enroll(t.value, { serialNumber: "SN-BAD-1" });
    await syncAndroidDevices(new Date());
    for (const body of ['[]', '"devices"', '{"devices":{}}', '{"devices":"none"}', '{"devices":[{"state":"ACTIVE"}]}', '{"devices":[null]}', 'not json']) {
      fake.devicesBody = body;
      const job = await finished(await startAndroidSync(admin, ctx));
      expect(job, body).toMatchObject({ status: "FAILED" });
      expect(job.error, body).toMatch(/^errors\.android\./);
      expect((await prisma().device.findUniqueOrThrow({ where: { amapiName: String(d.name) } })), body).toMatchObject({ status: "ACTIVE", amapiMissingAt: null });
    }
    expect((await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } })).lastSyncResult).toMatch(/^error:.*android\.badResponse/);
  });

  it("an empty listing (no devices key, as Google sends it) retires nothing unless the next sync is empty too", async () => {
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
      names.push(String(fake.enroll(t.value, { serialNumber: `SN-GONE-${i}` }).name));
    }
    await syncAndroidDevices(new Date());
    fake.devicesBody = "{}";
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 0, retired: 0, skipped: 0, missing: 3 });
    expect(await prisma().device.count({ where: { amapiName: { in: names }, status: "ACTIVE" } })).toBe(3);
    // Listed again: the mark is cleared, so one more odd answer still retires nothing.
    fake.devicesBody = null;
    expect(await syncAndroidDevices(new Date())).toEqual({ created: 0, updated: 3, retired: 0, skipped: 0, missing: 0 });
    expect(await prisma().device.count({ where: { amapiName: { in: names }, amapiMissingAt: { not: null } } })).toBe(0);
    fake.devicesBody = "{}";
    expect(await syncAndroidDevices(new Date())).toMatchObject({ retired: 0, missing: 3 });
    // Missing twice in a row: deleted in Google, retired here, audited.
    expect(await syncAndroidDevices(new Date())).toMatchObject({ retired: 3, missing: 0 });
    expect(await prisma().device.count({ where: { amapiName: { in: names }, status: "RETIRED" } })).toBe(3);
    expect(await prisma().auditEvent.count({ where: { action: "device.retire", details: { path: ["reason"], equals: "deleted in Android Management API" } } })).toBeGreaterThanOrEqual(3);
  });

  it("ignores an owner id that is not a Mamori user, and maps AMAPI states", async () => {
    const t = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
    const d = fake.enroll(t.value, { serialNumber: "SN-STATE" });
    d.enrollmentTokenData = JSON.stringify({ mamoriUserId: randomUUID() });
    d.state = "DISABLED";
    await syncAndroidDevices(new Date());
    expect(await prisma().device.findUniqueOrThrow({ where: { amapiName: String(d.name) } })).toMatchObject({ ownerId: null, status: "INACTIVE" });
  });

  it("Sync now queues android-sync jobs that run one at a time and create each device once", async () => {
    await startTestJobs();
    for (let i = 0; i < 3; i++) {
      const t = await createAndroidEnrollment(owner.id, { id: owner.id, label: owner.email }, ctx);
      fake.enroll(t.value, { serialNumber: `SN-CON-${i}` });
    }
    // The first run is held inside devices.list; the second, queued meanwhile, must wait for it.
    const release = fake.holdDevices();
    const first = await startAndroidSync(admin, ctx);
    expect(first).toMatchObject({ kind: "android-sync", status: "QUEUED" });
    while (fake.held === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await startAndroidSync(admin, ctx);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.held).toBe(1);
    expect((await prisma().job.findUniqueOrThrow({ where: { id: second.id } })).status).toBe("QUEUED");
    release();
    const [a, b] = [await finished(first), await finished(second)];
    expect(a).toMatchObject({ status: "DONE", outcome: { created: 3 } });
    expect(b).toMatchObject({ status: "DONE", outcome: { created: 0 } });
    const rows = await prisma().device.findMany({ where: { serialNumber: { startsWith: "SN-CON-" } } });
    expect(rows).toHaveLength(3);
    expect(await prisma().auditEvent.count({ where: { action: "device.enroll", targetId: { in: rows.map((r) => r.id) } } })).toBe(3);
    expect(await prisma().auditEvent.count({ where: { action: "android.sync", details: { path: ["jobId"], equals: first.id } } })).toBe(1);
  });

  it("records a failed sync", async () => {
    const url = process.env.AMAPI_URL;
    process.env.AMAPI_URL = "http://127.0.0.1:1";
    try {
      const job = await finished(await startAndroidSync(admin, ctx));
      expect(job).toMatchObject({ status: "FAILED", error: "errors.android.network", outcome: { params: { host: "127.0.0.1:1" } } });
      const stored = (await prisma().androidEnterprise.findUniqueOrThrow({ where: { id: 1 } })).lastSyncResult ?? "";
      expect(stored.startsWith("error:")).toBe(true);
      // Code and params are kept, so the admin page can say the reason in the admin's language.
      expect(JSON.parse(stored.slice("error:".length))).toMatchObject({ code: "android.network", params: { host: "127.0.0.1:1" } });
      const ev = await prisma().auditEvent.findFirst({ where: { action: "android.sync" }, orderBy: { id: "desc" } });
      expect(ev).toMatchObject({ actorLabel: admin.label, details: { jobId: job.id } });
    } finally {
      process.env.AMAPI_URL = url;
    }
  });
});
