import { expect, test } from "@playwright/test";
import { startSlapd, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, type Slapd } from "../support/slapd";
import { createAdmin, sql } from "./db";
import { signIn } from "./helpers";

// The admin points Mamori at a real slapd (started here), tests the connection, imports, and
// an imported user signs in with the directory password.

const ADMIN = { email: "directory-admin@example.jp", password: "directory-admin-pass" };
const USERS = [
  { uid: "e2e.taro", cn: "Taro Yamada", displayName: "山田 太郎", mail: "e2e.taro@example.jp", password: "taro-in-the-directory" },
  { uid: "e2e.hanako", cn: "Hanako Sato", mail: "e2e.hanako@example.jp", password: "hanako-in-the-directory" },
  { uid: "e2e.jiro", cn: "Jiro Suzuki", mail: "e2e.jiro@example.jp", password: "jiro-in-the-directory" },
];

let slapd: Slapd;

test.beforeAll(async () => {
  slapd = await startSlapd(USERS);
});

test.afterAll(async () => {
  await slapd?.stop();
});

test("admin connects the directory over ldaps, imports, and a directory user signs in", async ({ page }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.getByRole("navigation").getByRole("link", { name: "Directory" }).click();
  await expect(page.getByRole("heading", { name: "Directory (LDAP)" })).toBeVisible();

  const form = page.getByTestId("directory-form");
  await expect(form.getByLabel("Name attribute", { exact: true })).toHaveValue("displayName");
  await expect(form.getByLabel("Email attribute")).toHaveValue("mail");
  await expect(form.getByLabel("Username attribute")).toHaveValue("uid");
  // A wrong URL is refused with a sentence, and what was typed stays.
  await form.getByLabel("Server URL").fill("https://ldap.example.jp");
  await form.getByLabel("Bind DN").fill(SERVICE_DN);
  await form.getByLabel("Bind password").fill(SERVICE_PASSWORD);
  await form.getByLabel("Base DN").fill(PEOPLE_DN);
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByTestId("form-error")).toContainText("ldaps://host[:port]");
  await expect(form.getByLabel("Base DN")).toHaveValue(PEOPLE_DN);

  await form.getByLabel("Server URL").fill(slapd.ldapsUrl);
  await form.getByLabel("Trusted CA certificate").fill(slapd.caPem);
  await form.getByLabel("Bind password").fill(SERVICE_PASSWORD);
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByTestId("form-message")).toHaveText("Directory settings saved.");
  const [row] = await sql<{ value: Record<string, unknown> }>("SELECT value FROM settings WHERE key = 'directory'");
  expect(row!.value.url).toBe(slapd.ldapsUrl);
  expect(JSON.stringify(row!.value)).not.toContain(SERVICE_PASSWORD);
  await page.reload();
  // Write-only: never shown again, kept when left blank.
  await expect(page.getByTestId("directory-form").getByLabel("Bind password")).toHaveValue("");
  await expect(page.getByText("A password is stored (encrypted). Leave blank to keep it.")).toBeVisible();

  const test_ = page.getByTestId("directory-test");
  await test_.getByRole("button", { name: "Test connection" }).click();
  await expect(test_.getByTestId("form-message")).toHaveText("Connected. 3 users match the filter.");

  const imp = page.getByTestId("directory-import");
  await imp.getByRole("button", { name: "Import now" }).click();
  await expect(imp.getByTestId("form-message")).toHaveText("Import queued. Its progress shows below; the result also appears under Last sync.");
  await expect(imp.getByTestId("job-status")).toHaveText("Done");
  await expect(imp.getByTestId("job-summary")).toHaveText("3 created");
  await page.reload();
  await expect(page.getByTestId("directory-last-sync").getByTestId("last-created")).toHaveText("3");
  const [taro] = await sql<{ source: string; display_name: string; username: string }>("SELECT source, display_name, username FROM users WHERE email = 'e2e.taro@example.jp'");
  expect(taro).toEqual({ source: "DIRECTORY", display_name: "山田 太郎", username: "e2e.taro" });

  // The imported user signs in with the directory password, by username.
  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("Email address or username").fill("e2e.taro");
  await page.getByLabel("Password").fill("not-the-directory-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("The email address or password is incorrect.");
  await signIn(page, "e2e.taro", USERS[0]!.password, /\/my$/);
  await page.context().clearCookies();
  await signIn(page, "e2e.hanako@example.jp", USERS[1]!.password, /\/my$/);
});
