import { expect, test } from "@playwright/test";
import { createAdmin, sql } from "./db";
import { signIn } from "./helpers";

const ADMIN = { email: "settings@example.jp", password: "settings-admin-pass" };

test("notification settings are validated, saved and audited", async ({ page }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await page.goto("/login");
  await page.getByLabel("Email address").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();

  const form = page.getByTestId("notifications-form");
  await expect(form.getByLabel("Days before expiry to notify")).toHaveValue("60, 30, 14, 7, 1");
  await form.getByLabel("Recipients").fill("it@example.jp\nnot-an-address");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByTestId("form-error")).toHaveText('"not-an-address" is not a valid email address.');
  // What was typed stays, so it can be corrected.
  await expect(form.getByLabel("Recipients")).toHaveValue("it@example.jp\nnot-an-address");
  await form.getByLabel("Recipients").fill("it@example.jp\nsecurity@example.jp");
  await form.getByLabel("Days before expiry to notify").fill("90, 30, abc");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByTestId("form-error")).toContainText('"abc" is not a valid number of days');
  await form.getByLabel("Days before expiry to notify").fill("7, 90, 30");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByTestId("form-message")).toHaveText("Settings saved.");
  await page.reload();
  await expect(page.getByTestId("notifications-form").getByLabel("Days before expiry to notify")).toHaveValue("90, 30, 7");

  const mail = page.getByTestId("mail-form");
  await mail.getByLabel("Sender").fill("Mamori <mdm@example.jp");
  await mail.getByRole("button", { name: "Save" }).click();
  await expect(mail.getByTestId("form-error")).toContainText("Enter the sender as");
  await mail.getByLabel("Sender").fill("Mamori <mdm@example.jp>");
  await mail.getByRole("button", { name: "Save" }).click();
  await expect(mail.getByTestId("form-message")).toHaveText("Settings saved.");
  const [row] = await sql<{ value: { recipients: string[]; thresholds: number[] } }>("SELECT value FROM settings WHERE key = 'notifications'");
  expect(row!.value).toEqual({ recipients: ["it@example.jp", "security@example.jp"], thresholds: [90, 30, 7] });
  const audits = await sql("SELECT 1 FROM audit_events WHERE action = 'settings.update' AND actor_label = $1", [ADMIN.email]);
  expect(audits).toHaveLength(2);
});

test("the portal icon (Web Clip): a bad name is refused beside its field; switched on, a job installs it on iPhones and iPads", async ({ page }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await signIn(page, ADMIN.email, ADMIN.password);
  const [ios] = await sql<{ id: string }>(
    `INSERT INTO devices (id, udid, name, platform, status, updated_at) VALUES (gen_random_uuid(), 'WEBCLIP-E2E-1', 'webclip e2e iPhone', 'IOS', 'ACTIVE', now()) ON CONFLICT (udid) DO UPDATE SET status = 'ACTIVE' RETURNING id`);
  const general = await sql<{ value: unknown }>("SELECT value FROM settings WHERE key = 'general'");
  await sql("DELETE FROM settings WHERE key = 'general'");
  try {
    await page.goto("/admin/settings");
    const form = page.getByTestId("web-clip-form");
    await form.getByLabel("Install the portal icon on iPhones and iPads").check();
    await form.getByLabel("Name under the icon").fill("x".repeat(31));
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-error")).toHaveText("Enter the name under the icon: 1 to 30 characters.");
    await form.getByLabel("Name under the icon").fill("マイデバイス");
    // No public URL yet: the icon would open a guessed address, so switching it on is refused.
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-error")).toContainText("Set the public URL first");
    await expect(form.getByLabel("Install the portal icon on iPhones and iPads")).toHaveAttribute("aria-invalid", "true");
    await sql(`INSERT INTO settings (key, value, updated_at) VALUES ('general', '{"publicUrl": "https://mdm.example.jp"}', now())`);
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-message")).toHaveText("Saved. The portal icon is being installed on iPhones and iPads.");
    await expect(form.getByRole("progressbar", { name: "Portal icon on iPhones and iPads" })).toBeVisible();
    await expect(form.getByTestId("job-status")).toHaveText("Done");
    await expect.poll(async () => (await sql("SELECT 1 FROM commands WHERE device_id = $1 AND request_type = 'InstallProfile'", [ios!.id])).length).toBe(1);
  } finally {
    await sql(`INSERT INTO settings (key, value, updated_at) VALUES ('webClip', '{"enabled": false, "label": "Mamori"}', now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
    await sql("DELETE FROM devices WHERE udid = 'WEBCLIP-E2E-1'");
    await sql("DELETE FROM settings WHERE key = 'general'");
    if (general[0]) await sql("INSERT INTO settings (key, value, updated_at) VALUES ('general', $1, now())", [JSON.stringify(general[0].value)]);
  }
});
