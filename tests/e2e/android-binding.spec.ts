import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signIn } from "./helpers";
import { startFakeAmapi, type FakeAmapi } from "../support/fake-amapi";

// Binding an enterprise through Google's signup, in Chromium: the fake AMAPI serves the signup
// page, which sends the browser back to Mamori's callback with an enterpriseToken. Then the
// admin edits the policy (the fake checks and keeps the JSON), a forged and a replayed callback
// change nothing, and a Google outage shows the user on /go a plain sentence with a reference.

const AMAPI_PORT = Number(process.env.E2E_AMAPI_PORT || 3235);
const ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36";
const EMAIL = "bind@mamori-bind-e2e.iam.gserviceaccount.com";
const PROJECT = "mamori-bind-e2e";
const ADMIN = { email: "bind-admin@example.jp", password: "bind-admin-pass-1" };
const USER = { email: "mio.android@example.jp", password: "mio-android-pass-1" };

let fake: FakeAmapi;
let dir: string;
let keyFile: string;
const count = async (table: string) => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

async function adminPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

test.describe.serial("Android enterprise binding through Google's signup", () => {
  test.beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fake = await startFakeAmapi({ port: AMAPI_PORT, serviceAccounts: [{ clientEmail: EMAIL, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), projectId: PROJECT }], enterprises: [] });
    dir = mkdtempSync(path.join(tmpdir(), "mamori-bind-"));
    keyFile = path.join(dir, "key.json");
    writeFileSync(keyFile, JSON.stringify({ type: "service_account", project_id: PROJECT, private_key_id: "b1", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: EMAIL }));
    await sql("DELETE FROM android_enterprises");
    await createAdmin(ADMIN.email, ADMIN.password);
    await createEndUser(USER.email, USER.password, "Mio Ito");
  });

  test.afterAll(async () => {
    await sql("DELETE FROM android_policies");
    await sql("DELETE FROM android_signups");
    await sql("DELETE FROM android_enterprises");
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a forged callback is refused before any signup and changes nothing", async ({ browser }) => {
    const admin = await adminPage(browser);
    await admin.goto(`/admin/android/signup?state=${"A".repeat(43)}&enterpriseToken=EAKforged`);
    await expect(admin.getByTestId("android-signup-result")).toContainText("does not match a signup you started");
    await expect(admin.getByRole("button", { name: "Connect the enterprise" })).toHaveCount(0);
    expect(await count("android_enterprises")).toBe(0);
    expect(fake.requests.filter((r) => r.path.startsWith("/v1/enterprises"))).toHaveLength(0);
    await admin.context().close();
  });

  test("the admin signs up with Google and comes back bound, with the default policy at Google", async ({ browser }) => {
    const admin = await adminPage(browser);
    await admin.goto("/admin/android");
    await expect(admin.getByText("Not set up: users cannot enroll Android devices yet.")).toBeVisible();
    const form = admin.getByTestId("android-signup");
    await form.getByLabel("Company name").fill("Mamori Bind K.K.");
    await form.getByLabel("Administrator's Google account (optional)").fill("it@example.jp");
    await form.getByLabel("Service account key (.json file)").setInputFiles(keyFile);
    await form.getByRole("button", { name: "Sign up with Google" }).click();
    // The fake's signup page sends the browser straight back to the callback, which asks first.
    await expect(admin).toHaveURL(/\/admin\/android\/signup\?state=[\w-]{43}&enterpriseToken=EAK[\w-]+$/);
    const callback = admin.url();
    await expect(admin.getByTestId("android-signup-finish")).toContainText(`Google has registered Mamori Bind K.K. (Cloud project ${PROJECT}).`);
    expect(fake.binding.created).toHaveLength(0);
    // The same return open in a second tab: its button will be a replay.
    const second = await admin.context().newPage();
    await second.goto(callback);
    await admin.getByRole("button", { name: "Connect the enterprise" }).click();
    await expect(admin).toHaveURL(/\/admin\/android\?signup=[0-9a-f-]{36}$/);
    const [signup] = fake.binding.signups;
    expect(signup).toMatchObject({ projectId: PROJECT, adminEmail: "it@example.jp" });
    expect(new URL(signup!.callbackUrl).pathname).toBe("/admin/android/signup");
    const [created] = fake.binding.created;
    expect(created).toMatchObject({ projectId: PROJECT, displayName: "Mamori Bind K.K." });
    await expect(admin.getByTestId("android-signup-result")).toHaveText(`Enterprise ${created!.name} is connected and its default policy was sent to Google. Adjust the policy below.`);
    await expect(admin.getByTestId("android-settings")).toContainText(`${created!.name}/policies/default`);
    expect(fake.binding.policies.get(`${created!.name}/policies/default`)).toMatchObject({ cameraAccess: "CAMERA_ACCESS_USER_CHOICE", advancedSecurityOverrides: { untrustedAppsPolicy: "DISALLOW_INSTALL" } });

    // The same callback again (a replay, the back button): refused, nothing more at Google.
    expect(new URL(callback).searchParams.get("enterpriseToken")).toBe(signup!.enterpriseToken);
    await second.getByRole("button", { name: "Connect the enterprise" }).click();
    await expect(second).toHaveURL(/\/admin\/android\?signup=refused$/);
    await expect(second.getByTestId("android-signup-result")).toContainText("or it was already used");
    expect(fake.binding.created).toHaveLength(1);
    const [replayed] = await sql<{ details: { reason: string } }>("SELECT details FROM audit_events WHERE action = 'android.signup_complete' AND result = 'DENIED' ORDER BY id DESC LIMIT 1");
    expect(replayed!.details.reason).toBe("used");
    await admin.goto(callback);
    await expect(admin.getByTestId("android-signup-result")).toContainText("does not match a signup you started, or it was already used");
    await expect(admin.getByRole("button", { name: "Connect the enterprise" })).toHaveCount(0);
    expect(fake.binding.created).toHaveLength(1);
    expect(await count("android_enterprises")).toBe(1);
    const [used] = await sql<{ used_at: Date | null }>("SELECT used_at FROM android_signups");
    expect(used!.used_at).not.toBeNull();
    await admin.context().close();
  });

  test("the admin edits the policy and Google receives exactly that policy", async ({ browser }) => {
    const admin = await adminPage(browser);
    await admin.goto("/admin/android");
    const form = admin.getByTestId("android-policy");
    await form.getByLabel("Screen lock").selectOption("ALPHANUMERIC");
    await form.getByLabel("Minimum length").fill("8");
    await form.getByLabel("Lock the screen after").selectOption("2");
    await form.getByLabel("USB transfer").selectOption("DISALLOW_USB_DATA_TRANSFER");
    await form.getByLabel("Disable the camera").check();
    await form.getByLabel("Block screenshots and screen recording").check();
    await form.getByLabel("Block factory reset from Settings").check();
    await form.getByLabel("Factory reset protection accounts").fill("it@example.jp");
    await form.getByRole("button", { name: "Save and send to Google" }).click();
    const [ent] = await sql<{ policy_name: string }>("SELECT policy_name FROM android_enterprises");
    await expect(form.getByTestId("form-message")).toHaveText(`Policy ${ent!.policy_name} saved and accepted by Google.`);
    const sent = fake.requests.filter((r) => r.method === "PATCH").at(-1)!;
    expect(sent.body).toEqual({
      passwordPolicies: [{ passwordScope: "SCOPE_DEVICE", passwordQuality: "ALPHANUMERIC", passwordMinimumLength: 8 }],
      maximumTimeToLock: "120000",
      cameraAccess: "CAMERA_ACCESS_DISABLED",
      screenCaptureDisabled: true,
      factoryResetDisabled: true,
      frpAdminEmails: ["it@example.jp"],
      advancedSecurityOverrides: { untrustedAppsPolicy: "DISALLOW_INSTALL", developerSettings: "DEVELOPER_SETTINGS_DISABLED" },
      deviceConnectivityManagement: { usbDataAccess: "DISALLOW_USB_DATA_TRANSFER" },
    });
    expect(fake.binding.policies.get(ent!.policy_name)).toMatchObject(sent.body as Record<string, unknown>);
    // What was set is what the form shows.
    await admin.reload();
    await expect(admin.getByTestId("android-policy").getByLabel("Screen lock")).toHaveValue("ALPHANUMERIC");
    await expect(admin.getByTestId("android-policy").getByLabel("Disable the camera")).toBeChecked();
    await admin.context().close();
  });

  for (const [locale, sentence] of [
    ["en-US", /^Your phone could not be prepared for enrollment\. Ask your IT department and quote reference ([2-9A-Z]{4}-[2-9A-Z]{4})\.$/],
    ["ja-JP", /^このデバイスを登録する準備ができませんでした。IT 部門にお問い合わせのうえ、参照番号 ([2-9A-Z]{4}-[2-9A-Z]{4}) をお伝えください。$/],
  ] as const) {
    test(`during a Google outage /go says so plainly with a reference (${locale}); the admin sees Google's reason`, async ({ browser }) => {
      const context = await browser.newContext({ locale, viewport: { width: 412, height: 915 }, userAgent: ANDROID_UA, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto("/go");
      const form = page.getByTestId("go-password-form");
      await form.locator('input[name="email"]').fill(USER.email);
      await form.locator('input[type="password"]').fill(USER.password);
      await form.getByRole("button").click();
      await expect(page).toHaveURL(/\/go\/device$/);
      fake.binding.outage = { code: 503, status: "UNAVAILABLE", message: "The service is currently unavailable." };
      try {
        await page.getByTestId("android-enroll").click();
        const alert = page.getByTestId("form-error");
        await expect(alert).toHaveText(sentence);
        const reference = sentence.exec((await alert.textContent())!)![1]!;
        await expect(page.locator("body")).not.toContainText(/127\.0\.0\.1|googleapis|HTTP 503|ENOTFOUND|ECONNREFUSED/);
        const [row] = await sql<{ details: { reference: string; code: string } }>("SELECT details FROM audit_events WHERE action = 'android.enrollment_token' AND result = 'FAILURE' ORDER BY id DESC LIMIT 1");
        expect(row!.details).toMatchObject({ reference, code: "android.http" });
        const admin = await adminPage(browser);
        await admin.goto("/admin/android");
        const failure = admin.getByTestId("android-failure").filter({ hasText: reference });
        await expect(failure).toContainText("Google answered with an error (HTTP 503)");
        await expect(failure).toContainText("What to do: Google had a temporary problem.");
        await admin.context().close();
      } finally {
        fake.binding.outage = null;
      }
      await context.close();
    });
  }
});
