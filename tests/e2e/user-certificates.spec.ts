import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { installPushCertificate, signIn, enrollmentLink, clearPushCertificates, openPanel, afterEnrollment } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { expiredDates, smimeP12 } from "../support/user-p12";
import { SimulatedDevice } from "../../scripts/simulator/device";

// User-provided certificates end to end, on a phone-sized screen: the admin creates a
// configuration, the end user uploads PKCS#12 files made here with node-forge, and a simulated
// iPhone that enrolled through the public protocol installs and removes the profiles.

const ADMIN = { email: "certs-admin@example.jp", password: "certs-admin-password" };
const HANAKO = { email: "hanako-certs@example.jp", password: "hanako-certs-password", name: "Hanako Certs" };
const TARO = { email: "taro-certs@example.jp", password: "taro-certs-password", name: "Taro Certs" };
const CONFIG = "S/MIME mail";
const apple = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const mailCa = createTestCa("Mamori Mail CA");
const dir = mkdtempSync(path.join(tmpdir(), "mamori-usercert-"));

/** A PKCS#12 file on disk, as the user picks it in the file dialog. */
function p12File(name: string, data: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return file;
}

const good = p12File("hanako.p12", smimeP12(mailCa, { cn: "Hanako Sato", password: "hanako-p12" }));
const renewed = p12File("hanako-2027.p12", smimeP12(mailCa, { cn: "Hanako Sato 2027", password: "renewed-p12" }));
const noKey = p12File("cert-only.p12", smimeP12(mailCa, { withKey: false, password: "x" }));
const expired = p12File("expired.p12", smimeP12(mailCa, { ...expiredDates, password: "x" }));
const garbage = p12File("garbage.p12", randomBytes(2000));
const huge = p12File("huge.p12", Buffer.concat([smimeP12(mailCa, { password: "x" }), randomBytes(150 * 1024)]));
const taroP12 = p12File("taro.p12", smimeP12(mailCa, { cn: "Taro", password: "taro-p12" }));

test.use({ viewport: { width: 375, height: 812 } });

async function upload(page: Page, file: string, password: string, purpose?: string, name?: string) {
  const form = page.getByTestId("usercert-upload");
  if (purpose) await form.getByLabel("Certificate type").selectOption({ label: purpose });
  await form.getByLabel("Certificate file (.p12 / .pfx)").setInputFiles(file);
  await form.getByLabel("Password of the file").fill(password);
  if (name !== undefined) await form.getByLabel("Name (optional)").fill(name);
  await form.getByRole("button", { name: "Upload" }).click();
  return form;
}


test.describe.serial("user-provided certificates", () => {
  test.describe.configure({ timeout: 150_000 });
  let iphone: SimulatedDevice;
  let certPage: string;
  let certId: string;

  test.beforeAll(async () => {
    await clearPushCertificates();
    await createAdmin(ADMIN.email, ADMIN.password, "Certificates Admin");
    await createEndUser(HANAKO.email, HANAKO.password, HANAKO.name);
    await createEndUser(TARO.email, TARO.password, TARO.name);
  });

  test.afterAll(async () => {
    if (iphone) await sql("DELETE FROM devices WHERE udid = $1", [iphone.udid]);
    await sql("DELETE FROM configurations WHERE name = $1", [CONFIG]);
    await sql("DELETE FROM user_groups WHERE name = 'Certs Sales'");
    await sql("DELETE FROM user_certificates WHERE user_id IN (SELECT id FROM users WHERE email = ANY($1))", [[HANAKO.email, TARO.email]]);
    await clearPushCertificates();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the admin creates a configuration for all users; Hanako's iPhone enrolls", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await installPushCertificate(page, apple, randomUUID());
    await page.goto("/admin/configurations");
    const create = page.getByTestId("configuration-create");
    await create.getByRole("button", { name: "Create" }).click();
    await expect(create.getByTestId("form-error")).toHaveText("Enter a name.");
    await create.getByLabel("Name").fill(CONFIG);
    await create.getByLabel("Assign to").selectOption({ label: "All users" });
    await create.getByRole("button", { name: "Create" }).click();
    await expect(create.getByTestId("form-message")).toHaveText("The configuration was created. Its profiles are being queued for the devices.");
    await expect(page.getByTestId("configuration-row").filter({ hasText: CONFIG })).toContainText("Signing, Encryption");
    await expect(page.getByTestId("configuration-row").filter({ hasText: CONFIG })).toContainText("All users");

    const url = await enrollmentLink(page, HANAKO);
    iphone = new SimulatedDevice({ platform: "ios" });
    await iphone.enroll(url);
    await afterEnrollment(iphone.udid);
    expect(await iphone.connect()).toBe(2); // inventory only: Hanako has no certificate yet
  });

  test("bad files are refused with a clear reason and nothing is stored", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.getByRole("navigation", { name: "Portal sections" }).getByRole("link", { name: "My certificates" }).click();
    await expect(page).toHaveURL(/\/my\/certificates$/);
    await expect(page.getByTestId("applies-to")).toHaveText(`Installed on your devices by: ${CONFIG}`);
    const cases: Array<[string, string, string]> = [
      [good, "wrong-password", "The password is incorrect."],
      [noKey, "x", "The file contains no private key. Export the certificate together with its private key."],
      [expired, "x", "This certificate expired on"],
      [garbage, "x", "This file is not a PKCS#12 (.p12/.pfx) file."],
      [huge, "x", "The file is too large (maximum 100 KB)."],
    ];
    for (const [file, password, error] of cases) {
      const form = await upload(page, file, password, "Signing");
      await expect(form.getByTestId("form-error")).toContainText(error);
    }
    await expect(page.getByText("You have not uploaded any certificate yet.")).toBeVisible();
    expect(await sql("SELECT 1 FROM user_certificates uc JOIN users u ON u.id = uc.user_id WHERE u.email = $1", [HANAKO.email])).toHaveLength(0);
  });

  test("an upload is listed and installed on the iPhone", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto("/my/certificates");
    const form = await upload(page, good, "hanako-p12", "Signing", "Work signing");
    await expect(form.getByTestId("form-message")).toHaveText("The certificate was uploaded and is being installed on 1 device(s).");
    const row = page.getByTestId("usercert-row");
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId("usercert-name")).toHaveText("Work signing");
    await expect(row).toContainText("Signing");
    await expect(row.getByTestId("usercert-issuer")).toHaveText("CN=Mamori Mail CA, O=Mamori Tests");
    await expect(row).toContainText(/Uploaded: \w{3} \d{1,2}, \d{4}/);
    await expect(row).toContainText(/Expires: \w{3} \d{1,2}, \d{4}/);

    expect(await iphone.connect()).toBe(1);
    expect(iphone.answered.at(-1)).toEqual({ requestType: "InstallProfile", status: "Acknowledged" });
    expect([...iphone.profiles.values()].map((p) => p.identities)).toEqual([["Hanako Sato"]]);

    await row.getByRole("link", { name: "Edit: Work signing" }).click();
    await expect(page).toHaveURL(/\/my\/certificates\/[0-9a-f-]{36}$/);
    certPage = new URL(page.url()).pathname;
    certId = certPage.split("/").pop()!;
    await expect(page.getByTestId("usercert-title")).toHaveText("Work signing");
  });

  test("edit: rename, then replace the file (installed again)", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(certPage);
    const rename = await openPanel(page, "panel-rename");
    await rename.getByLabel("New name").fill("Mail signing");
    await rename.getByRole("button", { name: "Rename" }).click();
    await expect(rename.getByTestId("form-message")).toHaveText("The name was changed.");
    await expect(page.getByTestId("usercert-title")).toHaveText("Mail signing");
    expect(await iphone.connect()).toBe(0); // a new name changes nothing on the device

    const replace = await openPanel(page, "panel-replace");
    await replace.getByLabel("Certificate file (.p12 / .pfx)").setInputFiles(renewed);
    await replace.getByLabel("Password of the file").fill("wrong");
    await replace.getByRole("checkbox").check();
    await replace.getByRole("button", { name: "Replace" }).click();
    await expect(replace.getByTestId("form-error")).toHaveText("The password is incorrect.");
    await replace.getByLabel("Certificate file (.p12 / .pfx)").setInputFiles(renewed);
    await replace.getByLabel("Password of the file").fill("renewed-p12");
    await replace.getByRole("button", { name: "Replace" }).click();
    await expect(replace.getByTestId("form-message")).toHaveText("The certificate was replaced and is being installed again on 1 device(s).");
    await expect(page.locator("main")).toContainText("CN=Hanako Sato 2027");
    expect(await iphone.connect()).toBe(1);
    expect(iphone.answered.at(-1)).toEqual({ requestType: "InstallProfile", status: "Acknowledged" });
    expect([...iphone.profiles.values()].map((p) => p.identities)).toEqual([["Hanako Sato 2027"]]);
  });

  test("a second user cannot see or act on Hanako's certificate", async ({ page, request }) => {
    await signIn(page, TARO.email, TARO.password, /\/my$/);
    expect((await page.goto(certPage))!.status()).toBe(404);
    expect((await page.request.get(`/api/my/certificates/${certId}`)).status()).toBe(404);
    expect((await request.get(`/api/my/certificates/${certId}`)).status()).toBe(401); // signed out
    await page.goto("/my/certificates");
    await expect(page.getByText("You have not uploaded any certificate yet.")).toBeVisible();
    const form = await upload(page, taroP12, "taro-p12", "Encryption");
    await expect(form.getByTestId("form-message")).toHaveText("The certificate was uploaded.");
    await page.getByTestId("usercert-row").getByRole("link", { name: /^Edit/ }).click();
    await expect(page).toHaveURL(/\/my\/certificates\/[0-9a-f-]{36}$/);
    const own = (await page.getByTestId("usercert-download").getAttribute("href"))!;
    expect((await page.request.get(own)).status()).toBe(200);

    // Taro's own forms, with Hanako's certificate id put in: each server action refuses.
    await page.evaluate((id) => document.querySelectorAll<HTMLInputElement>('input[name="id"]').forEach((i) => (i.value = id)), certId);
    const rename = await openPanel(page, "panel-rename");
    await rename.getByLabel("New name").fill("stolen");
    await rename.getByRole("button", { name: "Rename" }).click();
    await expect(rename.getByTestId("form-error")).toHaveText("This certificate does not exist.");
    for (const [panelId, button] of [["panel-clear", "Clear the private key"], ["panel-delete", "Delete"]] as const) {
      const panel = await openPanel(page, panelId);
      await panel.getByRole("checkbox").check();
      await panel.getByRole("button", { name: button, exact: true }).click();
      await expect(panel.getByTestId("form-error")).toHaveText("This certificate does not exist.");
    }
    const replace = await openPanel(page, "panel-replace");
    await replace.getByLabel("Certificate file (.p12 / .pfx)").setInputFiles(taroP12);
    await replace.getByLabel("Password of the file").fill("taro-p12");
    await replace.getByRole("checkbox").check();
    await replace.getByRole("button", { name: "Replace" }).click();
    await expect(replace.getByTestId("form-error")).toHaveText("This certificate does not exist.");

    const [hanakos] = await sql<{ name: string; key_cleared_at: Date | null }>("SELECT name, key_cleared_at FROM user_certificates WHERE id = $1", [certId]);
    expect(hanakos).toEqual({ name: "Mail signing", key_cleared_at: null });
    const denied = await sql<{ action: string }>("SELECT action FROM audit_events WHERE target_id = $1 AND result = 'DENIED' ORDER BY id", [certId]);
    expect(denied.map((d) => d.action)).toEqual(["usercert.view", "usercert.download", "usercert.rename", "usercert.clearKey", "usercert.delete", "usercert.replace"]);
  });

  test("clear the private key: kept in the list, nothing sent to the device", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(certPage);
    const clear = await openPanel(page, "panel-clear");
    await clear.getByRole("button", { name: "Clear the private key" }).click();
    await expect(clear.getByTestId("form-error")).toHaveText("Tick the box to confirm.");
    await clear.getByRole("checkbox").check();
    await clear.getByRole("button", { name: "Clear the private key" }).click();
    await expect(clear.getByTestId("form-message")).toHaveText("The private key was cleared.");
    await expect(page.getByTestId("usercert-key-cleared")).toContainText("Private key cleared on");
    await clear.getByRole("checkbox").check(); // a success resets the form
    await clear.getByRole("button", { name: "Clear the private key" }).click();
    await expect(clear.getByTestId("form-error")).toHaveText("The private key of this certificate has already been cleared.");
    expect(await iphone.connect()).toBe(0);
    expect(iphone.profiles.size).toBe(1);
    await page.goto("/my/certificates");
    await expect(page.getByTestId("usercert-row").getByTestId("usercert-key-cleared")).toBeVisible();
  });

  test("delete: gone from the list and the profile is removed from the iPhone", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(certPage);
    const del = await openPanel(page, "panel-delete");
    await del.getByRole("checkbox").check();
    await del.getByRole("button", { name: "Delete", exact: true }).click();
    await expect(page).toHaveURL(/\/my\/certificates\?deleted=1$/);
    await expect(page.getByTestId("form-message")).toHaveText("The certificate was deleted.");
    await expect(page.getByTestId("usercert-row")).toHaveCount(0);
    expect(await iphone.connect()).toBe(1);
    expect(iphone.answered.at(-1)).toEqual({ requestType: "RemoveProfile", status: "Acknowledged" });
    expect(iphone.profiles.size).toBe(0);
    expect((await page.goto(certPage))!.status()).toBe(404);

    const events = await sql<{ action: string; ip: string | null }>(
      "SELECT action, ip FROM audit_events WHERE actor_label = $1 AND action LIKE 'usercert.%' AND result = 'SUCCESS' ORDER BY id", [HANAKO.email]);
    expect(events.map((e) => e.action)).toEqual(["usercert.upload", "usercert.rename", "usercert.replace", "usercert.clearKey", "usercert.delete"]);
    expect(events.every((e) => e.ip)).toBe(true);
  });

  test("the admin retargets the configuration to a group, then deletes it", async ({ page }) => {
    await sql("INSERT INTO user_groups (id, name, updated_at) VALUES (gen_random_uuid(), 'Certs Sales', now()) ON CONFLICT (name) DO NOTHING");
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("navigation", { name: "Main navigation" }).getByRole("link", { name: "Configurations" }).click();
    await page.getByTestId("configuration-row").getByRole("link", { name: CONFIG }).click();
    const edit = page.getByTestId("configuration-edit");
    await edit.getByLabel("Signing certificate").uncheck();
    await edit.getByLabel("Encryption certificate").uncheck();
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(edit.getByTestId("form-error")).toHaveText("Choose at least one certificate type.");
    await edit.getByLabel("Encryption certificate").check();
    await edit.getByLabel("Assign to").selectOption({ label: "Group: Certs Sales" });
    await edit.getByRole("button", { name: "Save" }).click();
    // Taro's encryption certificate has no device to leave; Hanako's was deleted.
    await expect(edit.getByTestId("form-message")).toHaveText("Saved. The devices are being brought in line.");
    await page.goto("/admin/configurations");
    await expect(page.getByTestId("configuration-row").filter({ hasText: CONFIG })).toContainText("Group: Certs Sales");
    await page.getByTestId("configuration-row").getByRole("link", { name: CONFIG }).click();
    const del = page.getByTestId("configuration-delete");
    await del.getByRole("checkbox").check();
    await del.getByRole("button", { name: "Delete" }).click();
    await expect(page).toHaveURL(/\/admin\/configurations$/);
    await expect(page.getByTestId("configuration-row").filter({ hasText: CONFIG })).toHaveCount(0);
  });
});
