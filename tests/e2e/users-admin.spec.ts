import { expect, test } from "@playwright/test";
import { createAdmin, mailSql, sql } from "./db";
import { signIn } from "./helpers";

// The admin users page: add several users at once, search, edit, disable and enable, invite,
// and delete (the user's devices stay, ownerless).

const ADMIN = { email: "users-admin@example.jp", password: "users-page-admin-pass" };

test.describe.serial("users page", () => {
  test.afterAll(async () => {
    await sql("DELETE FROM devices WHERE udid = 'USERS-E2E-UDID'");
  });

  test("add, search, edit, disable, invite, delete", async ({ page }) => {
    await createAdmin(ADMIN.email, ADMIN.password);
    await sql("INSERT INTO user_groups (id, name, updated_at) VALUES (gen_random_uuid(), 'Users Spec Sales', now()) ON CONFLICT (name) DO NOTHING");
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/admin/users");

    const add = page.getByTestId("add-users-form");
    // Bad input: the line is named and nothing is created.
    await add.getByLabel("Users, one per line").fill("Mika Ono, mika@example.jp\nnot an address");
    await add.getByRole("button", { name: "Add users" }).click();
    await expect(add.getByTestId("form-error")).toHaveText('Line 2 is not "name, email": not an address');
    expect(await sql("SELECT 1 FROM users WHERE email = 'mika@example.jp'")).toHaveLength(0);

    await add.getByLabel("Users, one per line").fill("Mika Ono, mika@example.jp\nRen Kato <ren@example.jp>");
    await add.getByLabel("Group").selectOption({ label: "Users Spec Sales" });
    await add.getByLabel("Send invitations now").uncheck();
    await add.getByRole("button", { name: "Add users" }).click();
    await expect(add.getByTestId("form-message")).toHaveText("2 user(s) added.");
    expect(await sql("SELECT 1 FROM mail_messages WHERE 'mika@example.jp' = ANY(\"to\")")).toHaveLength(0);

    // Search
    await page.getByLabel("Search name, email or username").fill("ren@");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/q=ren%40/);
    await expect(page.getByTestId("user-row")).toHaveCount(1);
    await expect(page.getByTestId("user-row")).toContainText("Users Spec Sales");

    // Invite the selected user from the list.
    await page.getByLabel("Select ren@example.jp").check();
    const invite = page.getByTestId("invite-selected-form");
    await invite.getByRole("button", { name: "Send invitations to selected" }).click();
    await expect(invite.getByTestId("form-message")).toHaveText("Sending invitations to 1 user(s).");
    await expect(invite.getByTestId("job-status")).toHaveText("Done");
    await page.reload();
    await expect(page.getByTestId("user-row")).toContainText("Sent");
    const [mail] = await mailSql<{ text: string }>("SELECT text FROM mail_messages WHERE 'ren@example.jp' = ANY(\"to\")");
    expect(mail!.text).toMatch(/\/go\?invite=/);

    // Edit
    await page.getByRole("link", { name: "Ren Kato" }).click();
    const edit = page.getByTestId("edit-user-form");
    await edit.getByLabel("Email").fill("mika@example.jp");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(edit.getByTestId("form-error")).toHaveText("mika@example.jp is already a user.");
    await edit.getByLabel("Name").fill("Ren Kato (Sales)");
    await edit.getByLabel("Email").fill("ren.kato@example.jp");
    await edit.getByLabel("Mail language").selectOption("en");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(edit.getByTestId("form-message")).toHaveText("Saved.");
    expect(await sql("SELECT display_name, locale FROM users WHERE email = 'ren.kato@example.jp'")).toEqual([{ display_name: "Ren Kato (Sales)", locale: "en" }]);

    // Re-send: the previous invitation is replaced, the mail is in English now.
    const resend = page.getByTestId("invite-user-form");
    await resend.getByRole("button", { name: "Send the invitation again" }).click();
    await expect(resend.getByTestId("form-message")).toHaveText("Invitation sent to 1 user(s).");
    await expect(page.getByTestId("invitation-row")).toHaveCount(2);
    await expect(page.getByTestId("invitation-row").nth(1)).toContainText("Replaced");
    const [latest] = await sql<{ subject: string }>("SELECT subject FROM mail_messages WHERE 'ren.kato@example.jp' = ANY(\"to\") ORDER BY created_at DESC LIMIT 1");
    expect(latest!.subject).toBe("[Mamori] Enroll your device");

    // Disable, enable
    const access = page.getByTestId("disable-user-form");
    await access.getByRole("button", { name: "Disable user" }).click();
    await expect(access.getByTestId("form-message")).toHaveText("The user is disabled and signed out everywhere.");
    expect(await sql("SELECT disabled FROM users WHERE email = 'ren.kato@example.jp'")).toEqual([{ disabled: true }]);
    await access.getByRole("button", { name: "Enable user" }).click();
    await expect(access.getByTestId("form-message")).toHaveText("The user is enabled again.");

    // Delete: the device stays, without an owner.
    await sql(`INSERT INTO devices (id, udid, serial_number, platform, status, owner_id, updated_at)
               SELECT gen_random_uuid(), 'USERS-E2E-UDID', 'USRE2E001', 'IOS', 'ACTIVE', id, now() FROM users WHERE email = 'ren.kato@example.jp'`);
    await page.reload();
    const del = page.getByTestId("delete-user-form");
    await del.getByLabel("Type ren.kato@example.jp to confirm").fill("ren@example.jp");
    await del.getByRole("button", { name: "Delete user" }).click();
    await expect(del.getByTestId("form-error")).toHaveText("Type ren.kato@example.jp exactly to delete this user.");
    await del.getByLabel("Type ren.kato@example.jp to confirm").fill("ren.kato@example.jp");
    await del.getByRole("button", { name: "Delete user" }).click();
    await expect(page).toHaveURL(/\/admin\/users\?deleted=1$/);
    await expect(page.getByTestId("form-message")).toHaveText("The user was deleted. Their 1 device(s) are kept without an owner.");
    expect(await sql("SELECT owner_id, status FROM devices WHERE udid = 'USERS-E2E-UDID'")).toEqual([{ owner_id: null, status: "ACTIVE" }]);
    // The device list shows it as ownerless.
    await page.goto("/admin/devices?q=USRE2E001");
    await expect(page.getByTestId("device-row").filter({ hasText: "USRE2E001" }).getByTestId("no-owner")).toHaveText("No owner");
    const audit = await sql<{ action: string }>("SELECT action FROM audit_events WHERE target_label IN ('ren@example.jp', 'ren.kato@example.jp') ORDER BY id");
    expect(audit.map((a) => a.action)).toEqual(["user.create", "invitation.send", "user.update", "invitation.resend", "user.disable", "user.enable", "user.delete"]);
  });

  test("invitation settings: bad input is refused, good input saved", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/admin/users/settings");
    const form = page.getByTestId("invitation-settings-form");
    await form.getByLabel("Reminder every (days)").fill("0");
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-error")).toContainText("0 is not a valid number of days");
    await form.getByLabel("Reminder every (days)").fill("5");
    await form.getByLabel("Send reminders until the user enrolls").uncheck();
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByTestId("form-message")).toHaveText("Invitation settings saved.");
    const [row] = await sql<{ value: Record<string, unknown> }>("SELECT value FROM settings WHERE key = 'invitations'");
    expect(row!.value).toMatchObject({ reminderIntervalDays: 5, remindersEnabled: false });
  });
});
