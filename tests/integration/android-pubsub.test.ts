import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeGoogleOidc, type FakeGoogleOidc, type Forgery, type PushMessage } from "../support/fake-pubsub";
import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import { saveAndroidSettings } from "@/lib/android/service";
import { saveSetting } from "@/lib/settings";
import { clearKeyCache } from "@/lib/android/pubsub";
import { MAX_PUSH_BYTES, receivePush, type PushDeps } from "@/lib/android/notifications";

useOwnDatabase();

// What /api/android/pubsub does with a push, against a real database: Google's side is
// tests/support/fake-pubsub.ts (real RSA keys, real RS256 ID tokens, Pub/Sub's push body).
// The route itself (guard, HTTP) is tests/e2e/android-pubsub.spec.ts.

const ENTERPRISE = "enterprises/LC00pubsub1";
const AUD = "https://mdm.example.jp/api/android/pubsub";
const EMAIL = "pubsub-push@mamori-test.iam.gserviceaccount.com";
const ctx = { ip: "192.0.2.9", userAgent: "APIs-Google" };
const admin = { id: null, label: "admin@example.jp" };
let google: FakeGoogleOidc;
const ops: unknown[] = [];
const deps: PushDeps = { applyOperation: async (op) => (ops.push(op), true) };
const saved = process.env.GOOGLE_OIDC_CERTS_URL;

beforeAll(async () => {
  google = await startFakeGoogleOidc();
  process.env.GOOGLE_OIDC_CERTS_URL = google.certsUrl;
  clearKeyCache();
});
afterAll(async () => {
  await google.close();
  if (saved === undefined) delete process.env.GOOGLE_OIDC_CERTS_URL;
  else process.env.GOOGLE_OIDC_CERTS_URL = saved;
});

function request(m: PushMessage, auth: Forgery | { token: string | null } = {}, body?: string): Request {
  const token = "token" in auth ? auth.token : google.token({ audience: AUD, serviceAccountEmail: EMAIL, ...auth });
  return new Request("http://127.0.0.1/api/android/pubsub", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token !== null && { authorization: `Bearer ${token}` }) },
    body: body ?? JSON.stringify(google.envelope(m)),
  });
}

const push = (m: PushMessage, auth: Forgery | { token: string | null } = {}, body?: string) => receivePush(request(m, auth, body), ctx, deps);

function device(id: string, o: { serial: string; reportedAt: Date; androidVersion?: string; owner?: string; enterprise?: string }) {
  return {
    name: `${o.enterprise ?? ENTERPRISE}/devices/${id}`,
    managementMode: "DEVICE_OWNER",
    state: "ACTIVE",
    appliedState: "ACTIVE",
    enrollmentTime: new Date(o.reportedAt.getTime() - 60_000).toISOString(),
    lastStatusReportTime: o.reportedAt.toISOString(),
    ...(o.owner && { enrollmentTokenData: JSON.stringify({ mamoriUserId: o.owner }) }),
    hardwareInfo: { brand: "google", model: "Pixel 8", serialNumber: o.serial },
    softwareInfo: { androidVersion: o.androidVersion ?? "14" },
  };
}

const audits = (where: Record<string, unknown>) => prisma().auditEvent.findMany({ where: { action: "android.pubsub", ...where }, orderBy: { at: "asc" } });

describe("Pub/Sub push notifications", () => {
  it("refuses everything while no audience is set, and audits nothing", async () => {
    expect(await push({ notificationType: "ENROLLMENT", data: device("a1", { serial: "SN-OFF", reportedAt: new Date() }) })).toEqual({ status: 404, code: "android.pubsubOff" });
    expect(await prisma().device.count()).toBe(0);
    expect(await audits({})).toHaveLength(0);
  });

  it("the setting needs the service account with an audience", async () => {
    const e = await saveSetting("androidPubsub", { audience: AUD, serviceAccountEmail: "" }, admin, ctx).catch((x: unknown) => x);
    expect(isUserError(e) && e.code).toBe("settings.pubsubEmailRequired");
    const bad = await saveSetting("androidPubsub", { audience: "has space", serviceAccountEmail: EMAIL }, admin, ctx).catch((x: unknown) => x);
    expect(isUserError(bad) && bad.code).toBe("settings.pubsubAudienceInvalid");
    await saveSetting("androidPubsub", { audience: AUD, serviceAccountEmail: EMAIL.toUpperCase() }, admin, ctx);
    expect((await prisma().setting.findUnique({ where: { key: "androidPubsub" } }))?.value).toEqual({ audience: AUD, serviceAccountEmail: EMAIL });
  });

  it("before Android itself is set up, a verified notification is acked and audited, nothing stored", async () => {
    expect(await push({ notificationType: "ENROLLMENT", data: device("a1", { serial: "SN-EARLY", reportedAt: new Date() }) })).toEqual({ status: 204 });
    expect(await prisma().device.count()).toBe(0);
    expect((await audits({ result: "FAILURE" }))[0]?.details).toMatchObject({ reason: "notConfigured", amapiName: `${ENTERPRISE}/devices/a1` });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const key = JSON.stringify({ type: "service_account", private_key_id: "k1", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: "amapi@mamori-test.iam.gserviceaccount.com" });
    await saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: `${ENTERPRISE}/policies/default`, keyJson: key }, admin, ctx);
  });

  it("ENROLLMENT creates the device at once, with its owner; a redelivery changes nothing", async () => {
    const user = await prisma().user.create({ data: { email: "mei@example.jp", displayName: "Mei", role: "END_USER" } });
    const t0 = new Date(Date.now() - 60_000);
    const msg = { notificationType: "ENROLLMENT", data: device("e1", { serial: "SN-PUSH-1", reportedAt: t0, owner: user.id }), messageId: "1001" };
    expect(await push(msg)).toEqual({ status: 204 });
    const d = await prisma().device.findUniqueOrThrow({ where: { amapiName: `${ENTERPRISE}/devices/e1` } });
    expect(d).toMatchObject({ platform: "ANDROID", serialNumber: "SN-PUSH-1", ownerId: user.id, status: "ACTIVE", osVersion: "14", modelName: "google Pixel 8" });
    expect(d.lastCheckInAt?.toISOString()).toBe(t0.toISOString());
    expect(await prisma().auditEvent.count({ where: { action: "device.enroll", targetId: d.id } })).toBe(1);
    expect(await push(msg)).toEqual({ status: 204 });
    expect(await prisma().device.count()).toBe(1);
    expect(await prisma().auditEvent.count({ where: { action: "device.enroll" } })).toBe(1);
  });

  it("STATUS_REPORT updates it; an older report than the stored one changes nothing", async () => {
    const name = `${ENTERPRISE}/devices/e1`;
    const t1 = new Date(Date.now() - 30_000);
    expect(await push({ notificationType: "STATUS_REPORT", data: device("e1", { serial: "SN-PUSH-1", reportedAt: t1, androidVersion: "15" }) })).toEqual({ status: 204 });
    let d = await prisma().device.findUniqueOrThrow({ where: { amapiName: name } });
    expect(d.osVersion).toBe("15");
    expect(d.lastCheckInAt?.toISOString()).toBe(t1.toISOString());
    const old = new Date(t1.getTime() - 10_000);
    expect(await push({ notificationType: "STATUS_REPORT", data: device("e1", { serial: "SN-PUSH-1", reportedAt: old, androidVersion: "13" }) })).toEqual({ status: 204 });
    d = await prisma().device.findUniqueOrThrow({ where: { amapiName: name } });
    expect(d.osVersion).toBe("15");
    expect(d.lastCheckInAt?.toISOString()).toBe(t1.toISOString());
  });

  it("another enterprise's device is acked, audited and ignored", async () => {
    const before = await prisma().device.count();
    expect(await push({ notificationType: "ENROLLMENT", data: device("x1", { serial: "SN-OTHER", reportedAt: new Date(), enterprise: "enterprises/LC99other" }) })).toEqual({ status: 204 });
    expect(await prisma().device.count()).toBe(before);
    expect((await audits({ result: "FAILURE" })).at(-1)?.details).toMatchObject({ reason: "otherEnterprise", amapiName: "enterprises/LC99other/devices/x1", notificationType: "ENROLLMENT" });
  });

  it.each<[string, Forgery | { token: string | null }, number, string]>([
    ["no token", { token: null }, 401, "missingToken"],
    ["a token signed with another key", { wrongKey: true }, 401, "badSignature"],
    ["alg none", { algNone: true }, 401, "algorithm"],
    ["an expired token", { expired: true }, 401, "expired"],
    ["another issuer", { iss: "https://evil.example" }, 401, "issuer"],
    ["another audience", { aud: "https://evil.example/push" }, 403, "audience"],
    ["another service account", { email: "attacker@evil-project.iam.gserviceaccount.com" }, 403, "email"],
  ])("%s: refused, audited DENIED, nothing changes", async (_, auth, status, reason) => {
    const before = await prisma().device.findMany({ orderBy: { id: "asc" } });
    const r = await push({ notificationType: "ENROLLMENT", data: device(`f-${reason}`, { serial: `SN-FORGED-${reason}`, reportedAt: new Date() }) }, auth);
    expect(r).toMatchObject({ status });
    expect(await prisma().device.findMany({ orderBy: { id: "asc" } })).toEqual(before);
    const row = (await audits({ result: "DENIED" })).at(-1);
    expect(row?.details).toEqual({ reason });
    expect(row).toMatchObject({ actorLabel: "anonymous", ip: ctx.ip });
  });

  it("COMMAND hands the Operation to applyOperation and acks", async () => {
    const op = { name: `${ENTERPRISE}/devices/e1/operations/1690000000000`, done: true, metadata: { "@type": "type.googleapis.com/google.android.devicemanagement.v1.Command", type: "LOCK" } };
    expect(await push({ notificationType: "COMMAND", data: op })).toEqual({ status: 204 });
    expect(ops).toEqual([{ name: op.name, done: true, metadata: op.metadata, response: undefined }]);
  });

  it("test messages, usage logs and unknown types are acked", async () => {
    const before = await prisma().auditEvent.count();
    for (const notificationType of ["PUBSUB", "test", "USAGE_LOGS", "SOMETHING_NEW"]) expect(await push({ notificationType, data: { anything: 1 } })).toEqual({ status: 204 });
    expect(await push({ data: "no type at all" })).toEqual({ status: 204 });
    expect(await prisma().auditEvent.count()).toBe(before);
  });

  it("USAGE_LOGS: a lost device's newest location is kept on it; an older or foreign batch changes nothing", async () => {
    const name = `${ENTERPRISE}/devices/e1`;
    const at = (m: number) => new Date(Date.UTC(2026, 11, 5, 9, m)).toISOString();
    const event = (m: number, lat: number, lng: number) => ({ eventId: String(m), eventTime: at(m), eventType: "LOST_MODE_LOCATION", lostModeLocationEvent: { location: { latitude: lat, longitude: lng }, batteryLevel: 42 } });
    expect(await push({ notificationType: "USAGE_LOGS", data: { device: name, retrievalTime: at(30), usageLogEvents: [event(10, 35.6812, 139.7671), event(20, 35.6586, 139.7454)] } })).toEqual({ status: 204 });
    const stored = async () => (await prisma().device.findUniqueOrThrow({ where: { amapiName: name } })).location as Record<string, unknown>;
    expect(await stored()).toMatchObject({ latitude: 35.6586, longitude: 139.7454, timestamp: at(20), batteryLevel: 42 });
    await push({ notificationType: "USAGE_LOGS", data: { device: name, usageLogEvents: [event(5, 1, 1)] } });
    await push({ notificationType: "USAGE_LOGS", data: { device: name, usageLogEvents: [{ eventTime: at(40), lostModeLocationEvent: { location: { latitude: 123, longitude: 0 } } }] } });
    await push({ notificationType: "USAGE_LOGS", data: { device: `${ENTERPRISE}/devices/unknown`, usageLogEvents: [event(50, 2, 2)] } });
    expect(await stored()).toMatchObject({ latitude: 35.6586, timestamp: at(20) });
  });

  it("unreadable data from Google is acked and audited; a body that is no push is 400; too large is 413", async () => {
    expect(await push({ notificationType: "STATUS_REPORT", data: "not json" })).toEqual({ status: 204 });
    expect((await audits({ result: "FAILURE" })).at(-1)?.details).toMatchObject({ reason: "malformed", notificationType: "STATUS_REPORT" });
    expect(await push({ notificationType: "COMMAND", data: { done: true } })).toEqual({ status: 204 });
    expect((await audits({ result: "FAILURE" })).at(-1)?.details).toMatchObject({ reason: "malformed", notificationType: "COMMAND" });
    expect(await push({}, {}, "{not json")).toEqual({ status: 400, code: "android.pubsubMalformed" });
    expect(await push({}, {}, JSON.stringify({ message: { data: "e30=" } }))).toEqual({ status: 400, code: "android.pubsubMalformed" });
    expect(await push({}, {}, JSON.stringify({ message: { messageId: "1", data: "A".repeat(MAX_PUSH_BYTES) } }))).toEqual({ status: 413, code: "android.pubsubTooLarge" });
    expect(await prisma().device.count()).toBe(1);
  });

  it("clearing the audience turns the endpoint off again", async () => {
    await saveSetting("androidPubsub", { audience: "", serviceAccountEmail: "" }, admin, ctx);
    expect(await push({ notificationType: "STATUS_REPORT", data: device("e1", { serial: "SN-PUSH-1", reportedAt: new Date() }) })).toMatchObject({ status: 404 });
  });
});
