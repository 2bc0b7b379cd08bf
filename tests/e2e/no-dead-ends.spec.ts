import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, createEndUser, mailSql, sql } from "./db";
import { afterEnrollment, enrollmentLink, installPushCertificate, signIn } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { SimulatedDevice } from "../../scripts/simulator/device";

// No dead ends for end users. Kitting: IT enrolls the iPhone with an enrollment link before the
// user opens the invitation; the PIN still sets the password and the portal opens. /go says when
// a device it handed a profile to is managed. "Forgot your password?" end to end.

const IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const ADMIN = { email: "nde-admin@example.jp", password: "no-dead-ends-admin" };
const KEN = { email: "ken.kitted@example.jp", name: "Ken Kitted", password: "chosen-after-kitting-1" };
const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const topicUuid = randomUUID();
const udids: string[] = [];

async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ locale: "en-US" })).newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

async function latestMail(email: string) {
  const [m] = await mailSql<{ subject: string; text: string }>(`SELECT subject, text FROM mail_messages WHERE $1 = ANY("to") ORDER BY created_at DESC LIMIT 1`, [email]);
  expect(m, `mail to ${email}`).toBeTruthy();
  return m!;
}
const mailCount = async (email: string) => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM mail_messages WHERE $1 = ANY("to")`, [email]))[0]!.n);
const userId = async (email: string) => (await sql<{ id: string }>("SELECT id FROM users WHERE email = $1", [email]))[0]!.id;

/** A simulated iPhone installing exactly the bytes the browser downloaded. */
async function installDownloaded(page: Page, baseURL: string) {
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download the profile" }).click();
  const dl = await download;
  const body = readFileSync((await dl.path())!);
  const url = `${baseURL}/go/profile`;
  const iphone = new SimulatedDevice({
    platform: "ios",
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
      String(input) === url ? new Response(new Uint8Array(body), { headers: { "content-type": "application/x-apple-aspen-config" } }) : fetch(input, init)) as typeof fetch,
  });
  udids.push(iphone.udid);
  await iphone.enroll(url);
  return iphone;
}

test.describe.serial("no dead ends for end users", () => {
  // Each test walks a whole journey (certificate, users, devices, several scrypt sign-ins).
  test.describe.configure({ timeout: 180_000 });
  test.afterAll(async () => {
    if (udids.length) await sql("DELETE FROM devices WHERE udid = ANY($1)", [udids]);
    await sql("DELETE FROM push_certificates WHERE topic = $1", [`com.apple.mgmt.External.${topicUuid}`]);
    await sql("DELETE FROM push_certificate_requests");
  });

  test("kitting: IT enrolls the iPhone first; the invitation still sets the password, the portal opens, /go shows the device", async ({ browser }) => {
    await sql("DELETE FROM push_certificates WHERE status = 'ACTIVE'");
    await createAdmin(ADMIN.email, ADMIN.password);
    const admin = await adminPage(browser);
    await installPushCertificate(admin, ca, topicUuid);
    await admin.goto("/admin/users");
    const add = admin.getByTestId("add-users-form");
    await add.getByLabel("Users, one per line").fill(`${KEN.name}, ${KEN.email}`);
    await add.getByRole("button", { name: "Add users" }).click();
    await expect(add.getByTestId("job-status")).toHaveText("Done");
    const invitation = await latestMail(KEN.email);
    const link = /(http\S+\/go\?invite=[\w-]+)/.exec(invitation.text)![1]!;
    const pin = /PIN: (\d{6})/.exec(invitation.text)![1]!;

    // IT enrolls Ken's iPhone with an enrollment link for him before he reads his mail.
    const kitted = new SimulatedDevice({ platform: "ios" });
    udids.push(kitted.udid);
    await kitted.enroll(await enrollmentLink(admin, { name: KEN.name, email: KEN.email }));
    await afterEnrollment(kitted.udid);
    await kitted.connect();
    expect((await sql("SELECT enrolled_at FROM invitations WHERE user_id = $1", [await userId(KEN.email)]))[0]!.enrolled_at).not.toBeNull();
    await admin.context().close();

    // Ken on his iPhone: the invitation still works for choosing a password.
    const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 }, userAgent: IPHONE_UA, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await page.goto(link);
    await expect(page.getByTestId("form-message")).toContainText("already been set up by your IT department");
    const pinForm = page.getByTestId("go-pin-form");
    await pinForm.getByLabel("PIN").fill(pin);
    await pinForm.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(page).toHaveURL(/\/go\/password$/);
    const pw = page.getByTestId("go-set-password-form");
    await pw.getByLabel("New password").fill(KEN.password);
    await pw.getByLabel("Repeat the password").fill(KEN.password);
    await pw.getByRole("button", { name: "Set password and continue" }).click();
    await expect(page).toHaveURL(/\/go\/device$/);
    await expect(page.getByTestId("go-managed")).toContainText("Hanako's iPhone");
    await page.goto("/my");
    await expect(page).toHaveURL(/\/my$/);

    // The PIN is spent now; the link says the device is enrolled.
    await page.goto(link);
    await expect(page.getByTestId("form-error")).toContainText("Your device is already enrolled");
    await ctx.close();
  });

  test("/go says when the iPhone it handed a profile to is managed", async ({ browser, baseURL }) => {
    const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 390, height: 844 }, userAgent: IPHONE_UA, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await page.goto("/go");
    const form = page.getByTestId("go-password-form");
    await form.getByLabel("Email address or username").fill(KEN.email);
    await form.getByLabel("Password").fill(KEN.password);
    await form.getByRole("button", { name: "Continue with password" }).click();
    await expect(page).toHaveURL(/\/go\/device$/);
    const status = page.getByTestId("go-status");
    await expect(status).toHaveAttribute("aria-live", "polite");
    // The kitted iPhone is managed already, but not by this visit: nothing claimed yet.
    await expect(status).toHaveAttribute("data-state", "waiting");
    const iphone = await installDownloaded(page, baseURL!);
    await expect(status).toContainText("Waiting for your device to check in");
    await afterEnrollment(iphone.udid);
    await expect(status).toHaveAttribute("data-state", "managed", { timeout: 15_000 });
    await expect(status).toHaveText("Your iPhone is now managed. You can close this page.");
    await ctx.close();
  });

  test("/go says what to do when the device has not checked in after three minutes", async ({ browser }) => {
    const ctx = await browser.newContext({ locale: "ja-JP", viewport: { width: 390, height: 844 }, userAgent: IPHONE_UA, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await page.clock.install();
    await page.goto("/go");
    const form = page.getByTestId("go-password-form");
    await form.getByLabel("メールアドレスまたはユーザー名").fill(KEN.email);
    await form.getByLabel("パスワード").fill(KEN.password);
    await form.getByRole("button").click();
    await expect(page).toHaveURL(/\/go\/device$/);
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "プロファイルをダウンロード" }).click();
    await download;
    await expect(page.getByTestId("go-status-help")).toHaveCount(0);
    await page.clock.fastForward("03:05");
    const help = page.getByTestId("go-status-help");
    await expect(help).toContainText("まだ管理されていませんか?");
    await expect(help).toContainText("「一般」→「VPN とデバイス管理」");
    await ctx.close();
  });

  test("forgot password: neutral answer, one-time link, other sessions end; reused, expired and too many refused", async ({ browser, request }) => {
    const AYA = { email: "aya.forgot@example.jp", password: "aya-old-passphrase-1" };
    await createAdmin(ADMIN.email, ADMIN.password); // setup done, whichever test runs first
    await createEndUser(AYA.email, AYA.password, "Aya Forgot");
    const other = await (await browser.newContext({ locale: "en-US" })).newPage();
    await signIn(other, AYA.email, AYA.password, /\/my$/);

    const page = await (await browser.newContext({ locale: "en-US" })).newPage();
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await expect(page).toHaveURL(/\/forgot-password$/);
    const ask = page.getByTestId("forgot-password-form");
    // An unknown address gets the very same answer, and no mail.
    await ask.getByLabel("Email address").fill("nobody-here@example.jp");
    await ask.getByRole("button", { name: "Send the link" }).click();
    const neutral = await ask.getByTestId("form-message").textContent();
    expect(neutral).toContain("If an account");
    expect(await mailCount("nobody-here@example.jp")).toBe(0);
    // The answer reads as it did for the unknown address, so wait for the mail, not the text
    // (already on the page from the first request).
    const mailsBefore = await mailCount(AYA.email);
    await ask.getByLabel("Email address").fill(AYA.email);
    await ask.getByRole("button", { name: "Send the link" }).click();
    await expect.poll(() => mailCount(AYA.email)).toBe(mailsBefore + 1);
    await expect(ask.getByTestId("form-message")).toHaveText(neutral!);
    const mail = await latestMail(AYA.email);
    const link = /(http\S+\/reset-password\/[\w-]+)/.exec(mail.text)![1]!;

    // A mail scanner looking (HEAD, GET) spends nothing.
    expect((await request.head(link)).status()).toBe(200);
    expect(await (await request.get(link)).text()).toContain(`data-testid="reset-password-form"`);

    await page.goto(link);
    const reset = page.getByTestId("reset-password-form");
    await reset.getByLabel("New password").fill("short");
    await reset.getByLabel("Repeat the password").fill("short");
    await reset.getByRole("button", { name: "Save the new password" }).click();
    await expect(reset.getByTestId("form-error")).toHaveText("The password must have at least 10 characters.");
    await reset.getByLabel("New password").fill("aya-new-passphrase-2");
    await reset.getByLabel("Repeat the password").fill("aya-new-passphrase-2");
    await reset.getByRole("button", { name: "Save the new password" }).click();
    await expect(page).toHaveURL(/\/my$/);

    // The session signed in before the reset has ended.
    await other.goto("/my");
    await expect(other).toHaveURL(/\/login/);
    await signIn(other, AYA.email, "aya-new-passphrase-2", /\/my$/);

    // The link works once.
    await page.goto(link);
    await expect(page.getByTestId("reset-link-invalid")).toBeVisible();

    // An expired link is refused.
    await page.goto("/forgot-password");
    await page.getByTestId("forgot-password-form").getByLabel("Email address").fill(AYA.email);
    await page.getByTestId("forgot-password-form").getByRole("button").click();
    await expect(page.getByTestId("forgot-password-form").getByTestId("form-message")).toBeVisible();
    const expired = /(http\S+\/reset-password\/[\w-]+)/.exec((await latestMail(AYA.email)).text)![1]!;
    await sql("UPDATE password_resets SET expires_at = now() - interval '1 minute' WHERE user_id = $1 AND used_at IS NULL", [await userId(AYA.email)]);
    await page.goto(expired);
    await expect(page.getByTestId("reset-link-invalid")).toContainText("no longer valid");

    // Three requests an hour per address: the fourth is refused, and sends nothing.
    const before = await mailCount(AYA.email);
    await page.goto("/forgot-password");
    const again = page.getByTestId("forgot-password-form");
    await again.getByLabel("Email address").fill(AYA.email);
    await again.getByRole("button").click();
    await expect(again.getByTestId("form-message")).toBeVisible();
    await again.getByLabel("Email address").fill(AYA.email);
    await again.getByRole("button").click();
    await expect(again.getByTestId("form-error")).toContainText("Too many requests");
    expect(await mailCount(AYA.email)).toBe(before + 1);
  });

  test("a directory user asking for a reset is told by mail to use the directory", async ({ page }) => {
    await sql(
      `INSERT INTO users (id, email, display_name, role, source, username, updated_at)
       VALUES (gen_random_uuid(), 'dir.user@example.jp', 'Dir User', 'END_USER', 'DIRECTORY', 'diruser', now()) ON CONFLICT (email) DO NOTHING`,
    );
    await page.goto("/forgot-password");
    const ask = page.getByTestId("forgot-password-form");
    await ask.getByLabel("Email address").fill("dir.user@example.jp");
    await ask.getByRole("button", { name: "Send the link" }).click();
    await expect(ask.getByTestId("form-message")).toContainText("If an account");
    const m = await latestMail("dir.user@example.jp");
    expect(m.text).toContain("社内ディレクトリ");
    expect(m.text).not.toContain("/reset-password/");
  });
});
