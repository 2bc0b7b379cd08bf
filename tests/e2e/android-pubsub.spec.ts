import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, sql } from "./db";
import { signIn } from "./helpers";
import { startFakeGoogleOidc, type FakeGoogleOidc, type Forgery } from "../support/fake-pubsub";

// Pub/Sub push notifications from the Android Management API, against the running server:
// tests/support/fake-pubsub.ts is Google's side (its JWKS on the fixed port playwright.config.ts
// gives the server as GOOGLE_OIDC_CERTS_URL; real RS256 ID tokens; Pub/Sub's push body). The
// admin sets the audience and service account on the Android page; a signed ENROLLMENT push makes
// the device appear without any sync; forged tokens are refused, audited and change nothing.

const JWKS_PORT = Number(process.env.E2E_JWKS_PORT || Number(process.env.E2E_AMAPI_PORT || 3235) + 50);
const ENTERPRISE = "enterprises/LC04pubsube2e";
const POLICY = `${ENTERPRISE}/policies/default`;
const PUSH_EMAIL = "pubsub-push@mamori-e2e.iam.gserviceaccount.com";
const ADMIN = { email: "pubsub-admin@example.jp", password: "pubsub-admin-pass" };
const SERIAL = "SN-E2E-PUSH-1";

let google: FakeGoogleOidc;
let dir: string;
let keyFile: string;
let endpoint: string;
let audience: string;

async function adminPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

const device = (id: string, serial: string) => ({
  name: `${ENTERPRISE}/devices/${id}`,
  managementMode: "DEVICE_OWNER",
  state: "ACTIVE",
  appliedState: "ACTIVE",
  enrollmentTime: new Date(Date.now() - 60_000).toISOString(),
  lastStatusReportTime: new Date().toISOString(),
  hardwareInfo: { brand: "google", model: "Pixel 9", serialNumber: serial },
  softwareInfo: { androidVersion: "15" },
});

const denied = async () => (await sql<{ reason: string }>("SELECT details->>'reason' AS reason FROM audit_events WHERE action = 'android.pubsub' AND result = 'DENIED' ORDER BY at")).map((r) => r.reason);

test.describe.serial("Android notifications through Pub/Sub push", () => {
  test.beforeAll(async () => {
    google = await startFakeGoogleOidc({ port: JWKS_PORT });
    dir = mkdtempSync(path.join(tmpdir(), "mamori-pubsub-"));
    keyFile = path.join(dir, "sa.json");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(keyFile, JSON.stringify({ type: "service_account", private_key_id: "e2e0002", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: "amapi@mamori-e2e.iam.gserviceaccount.com" }));
    await createAdmin(ADMIN.email, ADMIN.password);
  });

  test.afterAll(async () => {
    await sql("DELETE FROM settings WHERE key = 'androidPubsub'");
    await sql("DELETE FROM devices WHERE amapi_name IS NOT NULL");
    await sql("DELETE FROM android_enterprises");
    await google?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the admin reads the push endpoint and sets the audience and service account", async ({ browser, baseURL }) => {
    endpoint = `${baseURL}/api/android/pubsub`;
    audience = endpoint;
    // Not set up: the endpoint refuses even Google's token, as if it did not exist.
    const off = await google.push(endpoint, { notificationType: "ENROLLMENT", data: device("early", "SN-EARLY") }, { audience, serviceAccountEmail: PUSH_EMAIL });
    expect(off.status).toBe(404);

    const admin = await adminPage(browser);
    await admin.goto("/admin/android");
    await expect(admin.getByTestId("android-pubsub-endpoint")).toHaveText(`Push endpoint to give the Pub/Sub subscription: ${endpoint}`);
    await expect(admin.getByTestId("android-pubsub-state")).toHaveText("Off: the endpoint refuses every notification.");
    // The existing enterprise's form, folded under "Sign up with Google" until asked for.
    await admin.getByText("I already have an enterprise").click();
    const android = admin.getByTestId("android-form");
    await android.getByLabel("Enterprise name").fill(ENTERPRISE);
    await android.getByLabel("Policy for new devices").fill(POLICY);
    await android.getByLabel("Service account key (.json file)").setInputFiles(keyFile);
    await android.getByRole("button", { name: "Save" }).click();
    await expect(android.getByTestId("form-message")).toHaveText("Android settings saved.");

    const form = admin.getByTestId("android-pubsub-form");
    await form.getByLabel("Audience").fill(audience);
    await form.getByRole("button", { name: "Save notification settings" }).click();
    await expect(form.getByTestId("form-error")).toContainText("Enter the push subscription's service account too");
    await form.getByLabel("Push service account").fill(PUSH_EMAIL);
    await form.getByRole("button", { name: "Save notification settings" }).click();
    await expect(form.getByTestId("form-message")).toHaveText("Notification settings saved.");
    await admin.reload();
    await expect(admin.getByTestId("android-pubsub-state")).toHaveText(`On: notifications for the audience ${audience} are accepted.`);
    expect((await sql("SELECT value FROM settings WHERE key = 'androidPubsub'"))[0]?.value).toEqual({ audience, serviceAccountEmail: PUSH_EMAIL });
    await admin.context().close();
  });

  test("a signed ENROLLMENT push shows the device at once, without a sync", async ({ browser }) => {
    const res = await google.push(endpoint, { notificationType: "ENROLLMENT", data: device("push1", SERIAL) }, { audience, serviceAccountEmail: PUSH_EMAIL });
    expect(res.status).toBe(204);
    const admin = await adminPage(browser);
    await admin.goto(`/admin/devices?q=${SERIAL}`);
    await expect(admin.getByText(SERIAL)).toBeVisible();
    await admin.context().close();
    expect(await sql("SELECT last_sync_at FROM android_enterprises")).toEqual([{ last_sync_at: null }]);
    // A test message and a COMMAND (handed to lib/android/operations.ts) are acked.
    expect((await google.push(endpoint, { notificationType: "PUBSUB", data: {} }, { audience, serviceAccountEmail: PUSH_EMAIL })).status).toBe(204);
    const op = { name: `${ENTERPRISE}/devices/push1/operations/1700000000000`, done: true, metadata: { type: "LOCK" } };
    expect((await google.push(endpoint, { notificationType: "COMMAND", data: op }, { audience, serviceAccountEmail: PUSH_EMAIL })).status).toBe(204);
  });

  for (const [label, forgery, status, reason] of [
    ["no token", null, 401, "missingToken"],
    ["a key Google does not publish", { wrongKey: true }, 401, "badSignature"],
    ["alg none", { algNone: true }, 401, "algorithm"],
    ["HS256 with the public key", { hs256: true }, 401, "algorithm"],
    ["an expired token", { expired: true }, 401, "expired"],
    ["another issuer", { iss: "https://evil.example" }, 401, "issuer"],
    ["another audience", { aud: "https://evil.example/push" }, 403, "audience"],
    ["another service account", { email: "attacker@evil.iam.gserviceaccount.com" }, 403, "email"],
  ] as Array<[string, Forgery | null, number, string]>) {
    test(`${label}: refused with ${status}, audited, nothing changes`, async () => {
      const before = await sql("SELECT id, serial_number, os_version, last_check_in_at FROM devices ORDER BY id");
      const auth = forgery === null ? { token: null } : { audience, serviceAccountEmail: PUSH_EMAIL, ...forgery };
      const res = await google.push(endpoint, { notificationType: "ENROLLMENT", data: device(`forged-${reason}`, `SN-FORGED-${reason}`) }, auth);
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(status === 401 ? "android.pubsubUnauthenticated" : "android.pubsubForbidden");
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(await sql("SELECT id, serial_number, os_version, last_check_in_at FROM devices ORDER BY id")).toEqual(before);
      expect((await denied()).at(-1)).toBe(reason);
    });
  }
});
