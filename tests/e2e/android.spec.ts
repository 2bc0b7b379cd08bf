import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signIn } from "./helpers";
import { startFakeAmapi, type FakeAmapi } from "../support/fake-amapi";

// Android through Google's Android Management API, which is tests/support/fake-amapi.ts here,
// listening on the fixed port playwright.config.ts gives the server as AMAPI_URL and
// GOOGLE_OAUTH_TOKEN_URL. The admin saves the settings with a real RSA service-account key;
// a user on an Android phone goes through /go to Google's enrollment link (intercepted, never
// fetched); the fake then reports the phone enrolled with that token; "sync now" brings it to
// the user's /my.

const AMAPI_PORT = Number(process.env.E2E_AMAPI_PORT || 3235);
const ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36";
const ENTERPRISE = "enterprises/LC04e2etest";
const POLICY = `${ENTERPRISE}/policies/default`;
const EMAIL = "service@mamori-e2e.iam.gserviceaccount.com";
const ADMIN = { email: "android-admin@example.jp", password: "android-admin-pass" };
const USER = { email: "ren.android@example.jp", password: "ren-android-pass-1", name: "Ren Kato" };
const SERIAL = "SN-E2E-ANDROID-1";

let fake: FakeAmapi;
let dir: string;
let keyFile: string;

async function adminPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

test.describe.serial("Android enrollment through the Android Management API", () => {
  test.beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fake = await startFakeAmapi({
      port: AMAPI_PORT,
      serviceAccounts: [{ clientEmail: EMAIL, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() }],
      enterprises: [{ name: ENTERPRISE, displayName: "Mamori E2E K.K.", policies: [POLICY] }],
    });
    dir = mkdtempSync(path.join(tmpdir(), "mamori-android-"));
    keyFile = path.join(dir, "mamori-e2e-service-account.json");
    writeFileSync(keyFile, JSON.stringify({ type: "service_account", project_id: "mamori-e2e", private_key_id: "e2e0001", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: EMAIL, client_id: "42" }));
    await createAdmin(ADMIN.email, ADMIN.password);
    await createEndUser(USER.email, USER.password, USER.name);
  });

  test.afterAll(async () => {
    await sql("DELETE FROM devices WHERE amapi_name IS NOT NULL");
    await sql("DELETE FROM android_enterprises");
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("before Android is set up, /go on an Android phone says so", async ({ browser }) => {
    const context = await browser.newContext({ locale: "en-US", viewport: { width: 412, height: 915 }, userAgent: ANDROID_UA, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto("/go");
    const form = page.getByTestId("go-password-form");
    await form.getByLabel("Email address").fill(USER.email);
    await form.getByLabel("Password").fill(USER.password);
    await form.getByRole("button").click();
    await expect(page.getByTestId("go-device")).toHaveAttribute("data-platform", "ANDROID");
    await expect(page.getByText("Android enrollment is not available yet. Your IT administrator will tell you when it is.")).toBeVisible();
    await expect(page.getByTestId("android-enroll")).toHaveCount(0);
    await context.close();
  });

  test("the admin saves the Android settings and tests the connection", async ({ browser }) => {
    const admin = await adminPage(browser);
    await admin.goto("/admin/android");
    await expect(admin.getByText("Not set up: users cannot enroll Android devices yet.")).toBeVisible();
    // Not "Sign up with Google": the existing enterprise's form, folded until asked for.
    await admin.getByText("I already have an enterprise").click();
    const form = admin.getByTestId("android-form");
    await form.getByLabel("Enterprise name").fill("LC04e2etest");
    await form.getByLabel("Policy for new devices").fill(POLICY);
    await form.getByLabel("Service account key (.json file)").setInputFiles(keyFile);
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-error")).toContainText('"LC04e2etest" is not an enterprise name.');
    expect(await sql("SELECT 1 FROM android_enterprises")).toHaveLength(0);
    await form.getByLabel("Enterprise name").fill(ENTERPRISE);
    await form.getByLabel("Service account key (.json file)").setInputFiles(keyFile);
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-message")).toHaveText("Android settings saved.");
    await expect(admin.getByTestId("android-settings")).toContainText(EMAIL);
    await expect(admin.locator("body")).not.toContainText("PRIVATE KEY");
    const test_ = admin.getByTestId("android-test");
    await test_.getByRole("button", { name: "Test connection" }).click();
    await expect(test_.getByTestId("form-message")).toHaveText(`Connected to Mamori E2E K.K.; policy ${POLICY} found.`);
    await admin.context().close();
  });

  test.describe("on an Android phone", () => {
    test.use({ viewport: { width: 412, height: 915 }, userAgent: ANDROID_UA, isMobile: true, hasTouch: true });

    test("/go with email and password leads to Google's enrollment link; after sync the phone is on /my", async ({ page, browser }) => {
      // Google's page is out of reach: answer it locally and only check where we were sent.
      await page.route("https://enterprise.google.com/**", (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<title>Android Enterprise</title>" }));
      await page.goto("/go");
      const form = page.getByTestId("go-password-form");
      await form.getByLabel("Email address").fill(USER.email);
      await form.getByLabel("Password").fill(USER.password);
      await form.getByRole("button").click();
      await expect(page).toHaveURL(/\/go\/device$/);
      await expect(page.getByTestId("go-device")).toHaveAttribute("data-platform", "ANDROID");
      await expect(page.getByText("Android enrollment is not available yet")).toHaveCount(0);

      // Another device: a QR code, from a token of its own.
      await page.getByTestId("android-qr").click();
      await expect(page.getByTestId("android-qr-code").locator("svg")).toBeVisible();

      await page.getByTestId("android-enroll").click();
      await page.waitForURL(/^https:\/\/enterprise\.google\.com\/android\/enroll\?et=[A-Z]+$/);
      const et = new URL(page.url()).searchParams.get("et")!;
      const token = fake.enrollmentTokens.find((t) => t.value === et)!;
      const [user] = await sql<{ id: string }>("SELECT id FROM users WHERE email = $1", [USER.email]);
      expect(token).toMatchObject({ policyName: POLICY, oneTimeOnly: true, duration: "3600s", additionalData: JSON.stringify({ mamoriUserId: user!.id }) });
      expect(fake.enrollmentTokens).toHaveLength(2);

      // The phone finishes Google's setup; AMAPI now lists it.
      fake.enroll(et, { serialNumber: SERIAL, model: "Pixel 8 Pro", brand: "google", androidVersion: "14" });
      const admin = await adminPage(browser);
      await admin.goto("/admin/android");
      const sync = admin.getByTestId("android-sync");
      await sync.getByRole("button", { name: "Sync devices now" }).click();
      // Queued at once; the job's progress follows under the button.
      await expect(sync.getByTestId("form-message")).toHaveText("Synchronization queued. Its progress shows below; the result also appears under Last device sync.");
      await expect(sync.getByTestId("job-status")).toHaveText("Done");
      await expect(sync.getByTestId("job-summary")).toContainText("1 created");
      // An outage at Google: the failed job says why, and the page keeps it as a sentence.
      fake.failDevices = { code: 503, status: "UNAVAILABLE", message: "The service is currently unavailable." };
      await sync.getByRole("button", { name: "Sync devices now" }).click();
      await expect(sync.getByTestId("job-status")).toHaveText("Failed");
      await expect(sync.getByTestId("job-error")).toContainText("HTTP 503");
      await admin.reload();
      await expect(admin.getByTestId("android-last-sync")).toContainText("failed: Google answered with an error (HTTP 503)");
      fake.failDevices = null;
      await admin.getByTestId("android-sync").getByRole("button", { name: "Sync devices now" }).click();
      await expect(admin.getByTestId("android-sync").getByTestId("job-status")).toHaveText("Done");
      await expect(admin.getByTestId("android-sync").getByTestId("job-summary")).toContainText("1 updated");
      await admin.goto(`/admin/devices?q=${SERIAL}`);
      await expect(admin.getByText(SERIAL)).toBeVisible();
      const [row] = await sql<{ id: string; owner_id: string }>("SELECT id, owner_id FROM devices WHERE serial_number = $1", [SERIAL]);
      expect(row!.owner_id).toBe(user!.id);
      // The admin's device page renders for an Android device (no MDM commands for it).
      await admin.goto(`/admin/devices/${row!.id}`);
      await expect(admin.locator("main")).toContainText(SERIAL);
      await admin.context().close();

      await page.goto("/my");
      const device = page.getByTestId("my-device").filter({ hasText: SERIAL });
      await expect(device).toContainText("google Pixel 8 Pro");
      await expect(device).toContainText("Android 14");
      await expect(device.getByTestId("my-device-status")).toHaveText("Active");
      await device.click();
      await expect(page).toHaveURL(/\/my\/devices\/[0-9a-f-]{36}$/);
      await expect(page.locator("body")).toContainText(SERIAL);
      // Google reports it fully managed and company-owned: lock and wipe are offered, retiring (which would erase it) is not.
      await expect(page.getByTestId("panel-lock")).toBeVisible();
      await expect(page.getByTestId("panel-wipe")).toBeVisible();
      await expect(page.getByTestId("panel-retire")).toHaveCount(0);
      await expect(page.getByTestId("unavailable")).toContainText("On a fully managed Android device, removing management erases the device");
    });
  });
});
