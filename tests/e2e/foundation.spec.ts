import { expect, test, type Page } from "@playwright/test";
import { createEndUser, sql } from "./db";

const ADMIN = { name: "Taro Yamada", email: "admin@example.jp", password: "correct horse battery" };
const END_USER = { email: "hanako@example.jp", password: "blue-sky-umbrella-42" };

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test.describe.serial("first run, sign-in, languages, roles", () => {
  test("a fresh install leads to setup, which refuses a weak password", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/setup$/);
    await expect(page.getByRole("heading", { name: "Set up Mamori" })).toBeVisible();
    // The rules are stated before anyone types.
    await expect(page.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(/10 to 128 characters; not a common password/);
    // Every mistake at once, each beside its field; nothing typed is lost.
    await page.getByLabel("Email address").fill("not-an-address");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Repeat the password").fill("shorter");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByTestId("form-error")).toBeVisible();
    for (const [label, exact] of [["Your name", false], ["Email address", false], ["Password", true], ["Repeat the password", false]] as const) {
      await expect(page.getByLabel(label, { exact })).toHaveAttribute("aria-invalid", "true");
    }
    await expect(page.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(/The password must have at least 10 characters\./);
    await expect(page.getByLabel("Repeat the password")).toHaveAccessibleDescription("The two passwords do not match.");
    await expect(page.getByLabel("Password", { exact: true })).toHaveValue("short");
    await expect(page.getByLabel("Email address")).toHaveValue("not-an-address");

    await page.getByLabel("Your name").fill(ADMIN.name);
    await page.getByLabel("Email address").fill(ADMIN.email);
    await page.getByLabel("Repeat the password").fill("short");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(/at least 10 characters/);
    await expect(page.getByLabel("Your name")).not.toHaveAttribute("aria-invalid", "true");
    expect(await sql("SELECT 1 FROM users")).toHaveLength(0);
  });

  test("setup creates the first admin, signs them in, and disappears", async ({ page }) => {
    await page.goto("/setup");
    await page.getByLabel("Your name").fill(ADMIN.name);
    await page.getByLabel("Email address").fill(ADMIN.email);
    await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await page.getByLabel("Repeat the password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create administrator" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByTestId("signed-in-as")).toHaveText(`Signed in as ${ADMIN.name}`);
    await expect(page.getByTestId("admin-count")).toHaveText("1");
    for (const item of ["Dashboard", "Devices", "Users", "Enrollment", "Certificates", "Settings", "Audit log"]) {
      await expect(page.getByRole("navigation").getByRole("link", { name: item })).toBeVisible();
    }
    await page.goto("/setup");
    await expect(page).not.toHaveURL(/\/setup/);
    const rows = await sql<{ role: string }>("SELECT role FROM users");
    expect(rows).toEqual([{ role: "ADMIN" }]);
  });

  test("sign-out ends the session", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await expect(page).toHaveURL(/\/admin$/);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByTestId("form-message")).toHaveText("You have signed out.");
    await page.goto("/admin");
    await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fadmin/);
  });

  test("a wrong password is refused, logged, and the right one works", async ({ page }) => {
    await signIn(page, ADMIN.email, "not the password");
    await expect(page.getByTestId("form-error")).toHaveText("The email address or password is incorrect.");
    await expect(page).toHaveURL(/\/login/);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await page.getByRole("navigation").getByRole("link", { name: "Audit log" }).click();
    const failed = page.getByTestId("audit-row").filter({ hasText: "Failed" }).filter({ hasText: "Sign-in" });
    await expect(failed.first()).toBeVisible();
    await expect(failed.first()).toContainText("127.0.0.1");
  });

  test("the language follows the browser, can be switched, and is remembered", async ({ browser }) => {
    const ja = await browser.newContext({ locale: "ja-JP" });
    const page = await ja.newPage();
    await page.goto("/login");
    await expect(page.getByRole("heading", { name: "ログイン" })).toBeVisible();
    await page.getByLabel("メールアドレス").fill(ADMIN.email);
    await page.getByLabel("パスワード").fill(ADMIN.password);
    await page.getByRole("button", { name: "ログイン" }).click();
    await expect(page.getByRole("heading", { name: "ダッシュボード" })).toBeVisible();
    await page.getByRole("button", { name: "English" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await page.reload();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    const [row] = await sql<{ locale: string }>("SELECT locale FROM users WHERE email = $1", [ADMIN.email]);
    expect(row?.locale).toBe("en");
    await page.getByRole("button", { name: "日本語" }).click();
    await expect(page.getByRole("heading", { name: "ダッシュボード" })).toBeVisible();
    await ja.close();
  });

  test("dates are shown in the browser's time zone", async ({ browser }) => {
    const ctx = await browser.newContext({ locale: "en-US", timezoneId: "America/New_York" });
    const page = await ctx.newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    await expect(page).toHaveURL(/\/admin$/);
    await page.goto("/admin/audit");
    const [latest] = await sql<{ at: Date }>("SELECT at FROM audit_events ORDER BY id DESC LIMIT 1");
    const expected = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "America/New_York" }).format(latest!.at);
    await expect(page.getByTestId("audit-row").first()).toContainText(expected);
    await ctx.close();
  });

  test("an end user lands in the portal on a phone and is refused from the admin console", async ({ browser }) => {
    await createEndUser(END_USER.email, END_USER.password);
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: "en-US", isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    await signIn(page, END_USER.email, END_USER.password);
    await expect(page).toHaveURL(/\/my$/);
    await expect(page.getByRole("heading", { name: "My devices" })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const path of ["/admin", "/admin/users", "/admin/audit", "/admin/certificates/push", "/admin/devices"]) {
      const res = await page.goto(path);
      expect(res?.status()).toBe(403);
      await expect(page.getByTestId("forbidden")).toBeVisible();
      await expect(page.getByText(ADMIN.email)).toHaveCount(0);
    }
    // Admin route handlers refuse too, and say so in the audit log.
    for (const path of ["/api/admin/push-certificate/csr", "/api/admin/ade/public-key"]) {
      const res = await page.request.get(path);
      expect(res.status()).toBe(403);
    }
    const denied = await sql("SELECT 1 FROM audit_events WHERE result = 'DENIED' AND actor_label = $1", [END_USER.email]);
    expect(denied.length).toBeGreaterThanOrEqual(2);
    await phone.close();
  });

  test("repeated wrong passwords lock the account for a while", async ({ page }) => {
    await createEndUser("locked@example.jp", "right-password-123", "Locked User");
    for (let i = 0; i < 5; i++) {
      await signIn(page, "locked@example.jp", `wrong-${i}`);
      await expect(page.getByTestId("form-error")).toHaveText("The email address or password is incorrect.");
    }
    await signIn(page, "locked@example.jp", "right-password-123");
    await expect(page.getByTestId("form-error")).toContainText("Too many sign-in attempts");
    await expect(page).toHaveURL(/\/login/);
  });

  test("sessions expire: the cookie has a bounded lifetime and a bumped session version ends it", async ({ page, context }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await expect(page).toHaveURL(/\/admin$/);
    const cookie = (await context.cookies()).find((c) => c.name.includes("authjs.session-token"));
    expect(cookie).toBeDefined();
    const hours = (cookie!.expires * 1000 - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8.01);
    await sql("UPDATE users SET session_version = session_version + 1 WHERE email = $1", [ADMIN.email]);
    await page.goto("/admin");
    await expect(page).toHaveURL(/\/login/);
  });

  test("an address with broken percent-escapes is a 400, never a 500", async ({ request }) => {
    for (const path of ["/enroll/profile/%ff", "/go/t/%ff", "/api/my/devices/%ff/commands", "/my/devices/%ff", "/admin/devices/%ff", "/admin/users/%ff", "/api/mdm/connect/%E0%A4%A"]) {
      const r = await request.get(path, { maxRedirects: 0 });
      expect(r.status(), path).toBe(400);
    }
    expect((await request.put("/api/mdm/connect%ff", { data: "<plist/>" })).status()).toBe(400);
  });

  test("health reports the database and its migration level", async ({ request }) => {
    const res = await request.get("/api/health");
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.status).toBe("ok");
    expect(body.database.reachable).toBe(true);
    expect(body.database.upToDate).toBe(true);
    expect(body.database.migration).toMatch(/^\d{14}_[a-z_]+$/);
    expect(body.database.migration).toBe(body.database.expectedMigration);
  });
});
