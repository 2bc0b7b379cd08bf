import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, createEndUser, mailSql, sql } from "./db";
import { hashPassword } from "../../lib/auth/password";
import { installPushCertificate, signIn, afterEnrollment } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { SimulatedDevice } from "../../scripts/simulator/device";

// A user holding only an iPhone: from the invitation mail (read from the development outbox)
// through /go, the PIN and a new password to the profile download; the simulator then installs
// that very profile and the device appears as the user's.

const IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
test.use({ viewport: { width: 390, height: 844 }, userAgent: IPHONE_UA, isMobile: true, hasTouch: true });

const ADMIN = { email: "invite-admin@example.jp", password: "invitation-admin-pass" };
const YUI = { email: "yui.tanaka@example.jp", name: "Yui Tanaka", password: "yui-new-passphrase-1" };
const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const topicUuid = randomUUID();
const udids: string[] = [];
/** E2E_SCREENSHOTS=/tmp/shots saves full-page screenshots of the /go pages for a person to look at. */
const shot = async (page: Page, name: string) => {
  if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: `${process.env.E2E_SCREENSHOTS}/${name}.png`, fullPage: true });
};

/** The admin works on a desktop, in a context of their own. */
async function adminPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

async function latestMail(email: string) {
  const [m] = await mailSql<{ subject: string; text: string; html: string }>(`SELECT subject, text, html FROM mail_messages WHERE $1 = ANY("to") ORDER BY created_at DESC LIMIT 1`, [email]);
  expect(m, `mail to ${email}`).toBeTruthy();
  return { ...m!, link: /(http\S+\/go\?invite=[\w-]+)/.exec(m!.text)?.[1] ?? "", pin: /PIN: (\d{6})/.exec(m!.text)?.[1] ?? "" };
}

const userId = async (email: string) => (await sql<{ id: string }>("SELECT id FROM users WHERE email = $1", [email]))[0]!.id;

async function inviteFromUserPage(admin: Page, email: string) {
  await admin.goto(`/admin/users/${await userId(email)}`);
  const form = admin.getByTestId("invite-user-form");
  await form.getByRole("button").click();
  await expect(form.getByTestId("form-message")).toHaveText("Invitation sent to 1 user(s).");
}

test.describe.serial("invitations and /go on a phone", () => {
  // Later specs count devices and certificates: leave none of ours behind.
  test.afterAll(async () => {
    if (udids.length) await sql("DELETE FROM devices WHERE udid = ANY($1)", [udids]);
    await sql("DELETE FROM push_certificates WHERE topic = $1", [`com.apple.mgmt.External.${topicUuid}`]);
    await sql("DELETE FROM push_certificate_requests");
  });

  test("the admin adds a user and invites them with a PIN", async ({ browser }) => {
    await sql("DELETE FROM push_certificates WHERE status = 'ACTIVE'");
    await createAdmin(ADMIN.email, ADMIN.password);
    const admin = await adminPage(browser);
    await installPushCertificate(admin, ca, topicUuid);
    await admin.goto("/admin/users");
    const form = admin.getByTestId("add-users-form");
    await form.getByLabel("Users, one per line").fill(`${YUI.name}, ${YUI.email}`);
    await expect(form.getByLabel("Send invitations now")).toBeChecked();
    await expect(form.getByLabel("With a one-time PIN")).toBeChecked();
    await form.getByRole("button", { name: "Add users" }).click();
    await expect(form.getByTestId("form-message")).toHaveText("1 user(s) added. Their invitations are being sent.");
    await expect(form.getByTestId("job-status")).toHaveText("Done");
    const mail = await latestMail(YUI.email);
    expect(mail.subject).toBe("[Mamori] デバイス登録のご案内");
    expect(mail.html).toContain(mail.link);
    expect(mail.pin).toMatch(/^\d{6}$/);
    await admin.context().close();
  });

  test("from the mail through /go, PIN and a new password to the profile; the simulator enrolls", async ({ page, browser, baseURL }) => {
    const mail = await latestMail(YUI.email);
    await page.goto(mail.link);
    const pinForm = page.getByTestId("go-pin-form");
    await expect(pinForm.getByLabel("Email address")).toHaveValue(YUI.email);
    expect((await sql("SELECT opened_at FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = $1", [YUI.email]))[0]!.opened_at).not.toBeNull();

    // A wrong PIN first: refused, with the tries left.
    const wrong = mail.pin === "000000" ? "111111" : "000000";
    await pinForm.getByLabel("PIN").fill(wrong);
    await pinForm.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(pinForm.getByTestId("form-error")).toHaveText("The email address or PIN is not correct. 4 tries left.");
    await shot(page, "go-pin-wrong");

    await pinForm.getByLabel("PIN").fill(mail.pin);
    await pinForm.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(page).toHaveURL(/\/go\/password$/);
    const pw = page.getByTestId("go-set-password-form");
    await pw.getByLabel("New password").fill("short");
    await pw.getByLabel("Repeat the password").fill("short");
    await pw.getByRole("button", { name: "Set password and continue" }).click();
    await expect(pw.getByTestId("form-error")).toHaveText("The password must have at least 10 characters.");
    await shot(page, "go-password");
    await pw.getByLabel("New password").fill(YUI.password);
    await pw.getByLabel("Repeat the password").fill(YUI.password);
    await pw.getByRole("button", { name: "Set password and continue" }).click();

    await expect(page).toHaveURL(/\/go\/device$/);
    await expect(page.getByTestId("go-device")).toHaveAttribute("data-platform", "IOS");
    await expect(page.getByRole("heading", { name: "Enroll this iPhone or iPad" })).toBeVisible();
    await expect(page.getByText("Open the Settings app and tap Profile Downloaded")).toBeVisible();
    await shot(page, "go-device-ios");

    // The browser downloads the profile; the simulated iPhone installs exactly those bytes.
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download the profile" }).click();
    const dl = await download;
    expect(dl.suggestedFilename()).toBe("Mamori.mobileconfig");
    const profile = { url: dl.url(), body: readFileSync((await dl.path())!), type: "application/x-apple-aspen-config" };
    // The tap is the download (a POST): no one-time URL is left for anything to fetch later.
    expect(profile.url).toBe(`${baseURL}/go/profile`);

    const realFetch = fetch;
    const iphone = new SimulatedDevice({
      platform: "ios",
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
        String(input) === profile.url ? new Response(new Uint8Array(profile.body), { headers: { "content-type": profile.type } }) : realFetch(input, init)) as typeof fetch,
    });
    udids.push(iphone.udid);
    await iphone.enroll(profile.url);
    await afterEnrollment(iphone.udid);
    const [device] = await sql<{ status: string; owner: string }>(`SELECT d.status, u.email AS owner FROM devices d JOIN users u ON u.id = d.owner_id WHERE d.udid = $1`, [iphone.udid]);
    expect(device).toEqual({ status: "ACTIVE", owner: YUI.email });
    const [inv] = await sql<{ enrolled_at: Date | null }>("SELECT enrolled_at FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = $1", [YUI.email]);
    expect(inv!.enrolled_at).not.toBeNull();
    // Every enrollment made for her was spent by that one download.
    expect(await sql("SELECT 1 FROM enrollments e JOIN users u ON u.id = e.user_id WHERE u.email = $1 AND e.profile_used_at IS NULL", [YUI.email])).toHaveLength(0);
    // Without the /go cookie the download button gives nothing.
    const stranger = await realFetch(profile.url, { method: "POST", body: new URLSearchParams({ platform: "IOS" }), redirect: "manual" });
    expect(stranger.status).toBe(303);
    expect(stranger.headers.get("location")).toBe("/go/device?error=go.ticketExpired");

    // Signed in with the new password: the portal opens.
    await page.goto("/my");
    await expect(page).toHaveURL(/\/my$/);

    // The admin sees the device under the user, and the invitation as enrolled.
    const admin = await adminPage(browser);
    await admin.goto(`/admin/users/${await userId(YUI.email)}`);
    await expect(admin.getByTestId("invitation-row").first()).toContainText("Enrolled");
    await expect(admin.getByRole("link", { name: iphone.serial })).toBeVisible();
    await admin.context().close();
  });

  test("a reused PIN is refused", async ({ page }) => {
    const mail = await latestMail(YUI.email);
    await page.goto("/go");
    const form = page.getByTestId("go-pin-form");
    await form.getByLabel("Email address").fill(YUI.email);
    await form.getByLabel("PIN").fill(mail.pin);
    await form.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(form.getByTestId("form-error")).toContainText("This PIN has already been used.");
  });

  test("five wrong PINs lock it; an expired PIN is refused", async ({ page, browser }) => {
    await createEndUser("locked-pin@example.jp", "locked-pin-password", "Ken Mori");
    await createEndUser("late-pin@example.jp", "late-pin-password-1", "Aoi Ito");
    const admin = await adminPage(browser);
    await inviteFromUserPage(admin, "locked-pin@example.jp");
    await inviteFromUserPage(admin, "late-pin@example.jp");
    await admin.context().close();

    const mail = await latestMail("locked-pin@example.jp");
    const wrong = mail.pin === "999999" ? "888888" : "999999";
    await page.goto(mail.link);
    const form = page.getByTestId("go-pin-form");
    for (let left = 4; left >= 1; left--) {
      await form.getByLabel("PIN").fill(wrong);
      await form.getByRole("button", { name: "Continue with PIN" }).click();
      await expect(form.getByTestId("form-error")).toHaveText(`The email address or PIN is not correct. ${left} tries left.`);
    }
    await form.getByLabel("PIN").fill(wrong);
    await form.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(form.getByTestId("form-error")).toContainText("locked after 5 wrong tries");
    await form.getByLabel("PIN").fill(mail.pin);
    await form.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(form.getByTestId("form-error")).toContainText("locked after 5 wrong tries");
    await expect(page).toHaveURL(/\/go\?invite=/);

    const late = await latestMail("late-pin@example.jp");
    await sql("UPDATE invitations SET pin_expires_at = now() - interval '1 minute' WHERE user_id = (SELECT id FROM users WHERE email = $1)", ["late-pin@example.jp"]);
    await page.goto(late.link);
    await form.getByLabel("PIN").fill(late.pin);
    await form.getByRole("button", { name: "Continue with PIN" }).click();
    await expect(form.getByTestId("form-error")).toContainText("This PIN has expired.");
    const audit = await sql<{ action: string; result: string }>("SELECT action, result FROM audit_events WHERE target_label = $1 AND action LIKE 'invitation.pin%' ORDER BY id", ["locked-pin@example.jp"]);
    expect(audit.filter((a) => a.action === "invitation.pin_locked")).toHaveLength(1);
  });

  test("an admin's QR code opens enrollment for that user once; a used or expired one is refused", async ({ page, browser }) => {
    const admin = await adminPage(browser);
    await admin.goto(`/admin/users/${await userId(YUI.email)}`);
    await admin.getByRole("link", { name: "Show an enrollment QR code" }).click();
    await expect(admin.getByRole("img", { name: `Enrollment QR code for ${YUI.email}` }).locator("svg")).toBeVisible();
    const url = (await admin.getByTestId("qr-url").textContent())!;
    await admin.reload();
    const second = (await admin.getByTestId("qr-url").textContent())!;
    expect(second).not.toBe(url);
    await admin.context().close();

    // A scanner checking the link (HEAD) or prefetching it (GET, no cookies) does not spend it.
    expect((await page.request.head(url, { maxRedirects: 0 })).status()).toBe(200);
    const scanner = await page.request.get(url, { maxRedirects: 0, headers: { cookie: "", "accept-language": "en" } });
    expect(scanner.status()).toBe(200);
    expect(await scanner.text()).toContain('<form method="post"><button type="submit"');
    expect(await scanner.text()).toContain("Continue");
    expect((await page.context().cookies()).filter((c) => c.name.includes("go"))).toHaveLength(0);
    // The person scanning it taps Continue: that POST spends it.
    await page.goto(url);
    await expect(page.getByRole("heading", { name: "Enroll a device" })).toBeVisible();
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page).toHaveURL(/\/go\/device$/);
    await expect(page.getByText(`Enrolling for ${YUI.email}`)).toBeVisible();
    await page.context().clearCookies();
    await page.goto(url);
    await expect(page).toHaveURL(/\/go\?error=go\.qrUsed$/);
    await expect(page.getByTestId("form-error")).toHaveText("This QR code has already been used. Show a new one and scan it again.");

    await sql("UPDATE enrollment_tickets SET expires_at = now() - interval '1 second' WHERE kind = 'QR' AND used_at IS NULL");
    await page.goto(second);
    await expect(page.getByTestId("form-error")).toHaveText("This QR code has expired. Show a new one and scan it again.");
  });

  test("signed in to the portal, a user shows a QR code for another device", async ({ page }) => {
    await signIn(page, YUI.email, YUI.password, /\/my$/);
    // Looking at the page (twice) makes no ticket and writes no audit row: only the buttons do.
    const count = async () => (await sql<{ n: string }>(
      "SELECT (SELECT count(*) FROM enrollment_tickets t JOIN users u ON u.id = t.user_id WHERE u.email = $1) + (SELECT count(*) FROM audit_events WHERE actor_label = $1) AS n", [YUI.email]))[0]!.n;
    const before = await count();
    await page.goto("/my/enroll");
    await expect(page.getByRole("heading", { name: "Add a device" })).toBeVisible();
    await page.reload();
    await expect(page.getByRole("heading", { name: "Add a device" })).toBeVisible();
    expect(await count()).toBe(before);
    await expect(page.getByTestId("qr-url")).toHaveCount(0);
    await page.getByRole("button", { name: "Show a QR code" }).click();
    await expect(page.getByRole("img", { name: "QR code to enroll another device" }).locator("svg")).toBeVisible();
    const url = (await page.getByTestId("qr-url").textContent())!;
    expect(url).toMatch(/\/go\/t\/[\w-]+$/);
    expect(await sql("SELECT 1 FROM audit_events WHERE action = 'enrollment.qr_create' AND actor_label = $1", [YUI.email])).toHaveLength(1);
    await page.getByRole("button", { name: "Enroll this device" }).click();
    await expect(page).toHaveURL(/\/go\/device$/);
  });

  test("a directory-style username typed in another case signs in at /go", async ({ page }) => {
    // Usernames are stored lower case; the field takes an email address or a username.
    await sql(`INSERT INTO users (id, email, username, display_name, role, password_hash, updated_at)
      VALUES (gen_random_uuid(), 'k.mori@example.jp', 'k.mori', 'Kenji Mori', 'END_USER', $1, now()) ON CONFLICT (email) DO NOTHING`, [await hashPassword("kenji-mori-passphrase")]);
    await page.goto("/go");
    const form = page.getByTestId("go-password-form");
    await expect(form.getByLabel("Email address or username")).toHaveAttribute("type", "text");
    await form.getByLabel("Email address or username").fill("K.Mori");
    await form.getByLabel("Password").fill("kenji-mori-passphrase");
    await form.getByRole("button", { name: "Continue with password" }).click();
    await expect(page).toHaveURL(/\/go\/device$/);
    await expect(page.getByText("Enrolling for k.mori@example.jp")).toBeVisible();
  });

  test("an oversized download form is refused with 413 and a readable message", async ({ request }) => {
    const big = await request.post("/go/profile", { headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": "en-US,en;q=0.9" }, data: `platform=IOS&pad=${"x".repeat(64 * 1024)}`, maxRedirects: 0 });
    expect(big.status()).toBe(413);
    expect(await big.text()).toContain("The request is too large (maximum 4 KB)");
    const ja = await request.post("/go/profile", { headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": "ja" }, data: `platform=IOS&pad=${"x".repeat(64 * 1024)}`, maxRedirects: 0 });
    expect(await ja.text()).toContain("リクエストが大きすぎます");
  });

  test("an admin signed in to the console continues at /go as themselves", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/go");
    await page.getByTestId("go-continue-form").getByRole("button", { name: `Continue as ${ADMIN.email}` }).click();
    await expect(page).toHaveURL(/\/go\/device$/);
    await expect(page.getByText(`Enrolling for ${ADMIN.email}`)).toBeVisible();
    expect(await sql("SELECT 1 FROM audit_events WHERE action = 'enrollment.go' AND actor_label = $1", [ADMIN.email])).toHaveLength(1);
  });
});
