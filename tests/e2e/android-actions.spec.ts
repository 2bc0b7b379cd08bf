import { generateKeyPairSync, randomBytes } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sealForServer, sql } from "./db";
import { signIn } from "./helpers";
import { startFakeAmapi, type FakeAmapi } from "../support/fake-amapi";

// Remote actions on Android phones, from the admin's device page (desktop) and from the owner's
// portal (phone), for a company-owned fully managed phone and a personal phone with a work
// profile. Google is tests/support/fake-amapi.ts on the port the server is given as AMAPI_URL;
// the server's own android-command job calls it and follows each operation to its end.

const AMAPI_PORT = Number(process.env.E2E_AMAPI_PORT || 3235);
const ENTERPRISE = "enterprises/LC05actions";
const POLICY = `${ENTERPRISE}/policies/default`;
const EMAIL = "actions@mamori-e2e.iam.gserviceaccount.com";
const ADMIN = { email: "android-actions-admin@example.jp", password: "android actions admin pass" };
const OWNER = { email: "aoi.android@example.jp", password: "aoi android pass 1", name: "Aoi Mori" };
const PHONE = { viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true, locale: "en-US", timezoneId: "Asia/Tokyo" };

let fake: FakeAmapi;
const ids: Record<string, string> = {};
const names: Record<string, string> = {};

async function phoneOf(fake: FakeAmapi, key: string, o: { serial: string; mode: "DEVICE_OWNER" | "PROFILE_OWNER"; ownership: "COMPANY_OWNED" | "PERSONALLY_OWNED"; ownerId: string }) {
  const name = `${ENTERPRISE}/devices/${randomBytes(6).toString("hex")}`;
  const now = new Date().toISOString();
  fake.devices.get(ENTERPRISE)!.push({
    name, managementMode: o.mode, ownership: o.ownership, state: "ACTIVE", appliedState: "ACTIVE", enrollmentTime: now, lastStatusReportTime: now,
    hardwareInfo: { brand: "google", model: "Pixel 8", serialNumber: o.serial }, softwareInfo: { androidVersion: "14" },
  });
  const [row] = await sql<{ id: string }>(
    `INSERT INTO devices (id, amapi_name, serial_number, name, model_name, platform, status, os_version, owner_id, android_management_mode, android_ownership, updated_at)
     VALUES (gen_random_uuid(), $1, $2, $3, 'google Pixel 8', 'ANDROID', 'ACTIVE', '14', $4, $5, $6, now()) RETURNING id`,
    [name, o.serial, `${key} Pixel`, o.ownerId, o.mode, o.ownership],
  );
  ids[key] = row!.id;
  names[key] = name;
}

const lastCommand = (type: string) => [...fake.commands].reverse().find((c) => c.body.type === type);
const commandStatus = async (deviceId: string, type: string) =>
  (await sql<{ status: string }>(`SELECT status FROM commands WHERE device_id = $1 AND request_type = $2 ORDER BY seq DESC LIMIT 1`, [deviceId, type]))[0]?.status;

async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext({ locale: "en-US", timezoneId: "Asia/Tokyo" })).newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

async function openPanel(page: Page, action: string) {
  const panel = page.getByTestId(`panel-${action}`);
  await panel.locator("summary").click();
  return panel;
}

/** Retire from the page's panel: Google deletes the device without a wipe; Mamori marks it retired. */
async function retireFromPanel(page: Page, key: string) {
  const retire = await openPanel(page, "retire");
  await retire.getByRole("checkbox").check();
  await retire.getByRole("button", { name: "Retire device" }).click();
  await expect.poll(() => fake.deletions.find((d) => d.name === names[key]), { timeout: 30_000 }).toEqual({ name: names[key], wipeDataFlags: [], wipeReasonMessage: null });
  await expect.poll(async () => (await sql<{ status: string }>("SELECT status FROM devices WHERE id = $1", [ids[key]]))[0]!.status).toBe("RETIRED");
}

test.describe.serial("Android remote actions", () => {
  // Each command is a job that calls Google, then looks at the operation a few seconds later.
  test.setTimeout(150_000);
  test.beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fake = await startFakeAmapi({ port: AMAPI_PORT, serviceAccounts: [{ clientEmail: EMAIL, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() }], enterprises: [{ name: ENTERPRISE, displayName: "Actions K.K.", policies: [POLICY] }] });
    await sql("DELETE FROM android_enterprises");
    await sql(`INSERT INTO android_enterprises (id, enterprise_name, policy_name, client_email, private_key_id, private_key_sealed) VALUES (1, $1, $2, $3, 'k1', $4)`,
      [ENTERPRISE, POLICY, EMAIL, await sealForServer(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "android.service-account-key")]);
    // The organisation lets owners locate their phones (off by default: seed 000's privacy settings).
    await sql(`INSERT INTO settings (key, value) VALUES ('privacy', '{"location":true,"wipe":true,"retire":true,"unlock":true}') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
    await createAdmin(ADMIN.email, ADMIN.password);
    await createEndUser(OWNER.email, OWNER.password, OWNER.name);
    const [owner] = await sql<{ id: string }>("SELECT id FROM users WHERE email = $1", [OWNER.email]);
    await phoneOf(fake, "company", { serial: "SN-ACT-COMPANY", mode: "DEVICE_OWNER", ownership: "COMPANY_OWNED", ownerId: owner!.id });
    await phoneOf(fake, "personal", { serial: "SN-ACT-PERSONAL", mode: "PROFILE_OWNER", ownership: "PERSONALLY_OWNED", ownerId: owner!.id });
    await phoneOf(fake, "spare", { serial: "SN-ACT-SPARE", mode: "DEVICE_OWNER", ownership: "COMPANY_OWNED", ownerId: owner!.id });
    await phoneOf(fake, "byod", { serial: "SN-ACT-BYOD", mode: "PROFILE_OWNER", ownership: "PERSONALLY_OWNED", ownerId: owner!.id });
  });

  test.afterAll(async () => {
    await sql("DELETE FROM devices WHERE amapi_name LIKE $1", [`${ENTERPRISE}/%`]);
    await sql("DELETE FROM android_enterprises");
    await sql("DELETE FROM settings WHERE key = 'privacy'");
    await fake?.close();
  });

  test("admin, fully managed phone: lock, new passcode, lost mode on and off, restart; retire explained", async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`/admin/devices/${ids.company}`);
    await expect(page.getByTestId("unavailable")).toContainText("On a fully managed Android device, removing management erases the device: use wipe instead.");
    await expect(page.getByTestId("panel-retire")).toHaveCount(0);
    await expect(page.getByTestId("action-checkIn")).toHaveCount(0);

    const lock = await openPanel(page, "lock");
    await lock.getByRole("button", { name: "Lock device" }).click();
    await expect(lock.getByTestId("form-message")).toBeVisible();
    await expect.poll(() => commandStatus(ids.company!, "LOCK"), { timeout: 30_000 }).toBe("ACKNOWLEDGED");
    expect(lastCommand("LOCK")!.device).toBe(names.company);
    await page.reload();
    await expect(page.getByTestId("command-row").filter({ hasText: "Lock (Android)" }).first()).toHaveAttribute("data-status", "ACKNOWLEDGED");

    const reset = await openPanel(page, "clearPasscode");
    await expect(reset).toContainText("Google sets a new passcode on the phone");
    await reset.getByRole("checkbox").check();
    await reset.getByRole("button", { name: "Clear passcode" }).click();
    const shown = reset.getByTestId("form-message");
    await expect(shown).toContainText("New passcode: ");
    const passcode = /New passcode: (\S+)/.exec((await shown.textContent())!)![1]!;
    await expect.poll(() => lastCommand("RESET_PASSWORD")?.body.newPassword).toBe(passcode);
    // Shown once: nothing in the database holds it any more.
    await expect.poll(() => commandStatus(ids.company!, "RESET_PASSWORD"), { timeout: 30_000 }).toBe("ACKNOWLEDGED");
    expect(JSON.stringify(await sql("SELECT payload, sealed_body FROM commands WHERE device_id = $1", [ids.company]))).not.toContain(passcode);

    await page.reload();
    const lost = await openPanel(page, "lostModeOn");
    await lost.getByLabel("Message").fill("Please call IT");
    await lost.getByLabel("E-mail address").fill("it@example.jp");
    await lost.getByRole("button", { name: "Turn on lost mode" }).click();
    await expect.poll(() => commandStatus(ids.company!, "START_LOST_MODE"), { timeout: 30_000 }).toBe("ACKNOWLEDGED");
    expect(lastCommand("START_LOST_MODE")!.body).toEqual({ type: "START_LOST_MODE", startLostModeParams: { lostMessage: { defaultMessage: "Please call IT" }, lostEmailAddress: "it@example.jp" } });
    await page.reload();
    const off = await openPanel(page, "lostModeOff");
    await off.getByRole("button", { name: "Turn off lost mode" }).click();
    await expect.poll(() => commandStatus(ids.company!, "STOP_LOST_MODE"), { timeout: 30_000 }).toBe("ACKNOWLEDGED");

    await page.reload();
    const restart = await openPanel(page, "restart");
    await restart.getByRole("button", { name: "Restart device" }).click();
    await expect.poll(() => commandStatus(ids.company!, "REBOOT"), { timeout: 30_000 }).toBe("ACKNOWLEDGED");
    await page.context().close();
  });

  test("admin, work profile: lock; restart, lost mode and wipe explained; retire removes only the work profile", async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`/admin/devices/${ids.byod}`);
    await expect(page.getByTestId("panel-wipe")).toHaveCount(0);
    await expect(page.getByTestId("panel-restart")).toHaveCount(0);
    await expect(page.getByTestId("panel-lostModeOn")).toHaveCount(0);
    await expect(page.getByTestId("unavailable")).toContainText("Lost mode needs a company-owned Android device.");

    const lock = await openPanel(page, "lock");
    await lock.getByRole("button", { name: "Lock device" }).click();
    await expect.poll(() => commandStatus(ids.byod!, "LOCK"), { timeout: 30_000 }).toBe("ACKNOWLEDGED");
    expect(lastCommand("LOCK")!.device).toBe(names.byod);

    await retireFromPanel(page, "byod");
    await page.context().close();
  });

  test("admin, fully managed phone: wipe without factory reset protection when the admin unticks it", async ({ browser }) => {
    const page = await adminPage(browser);
    await page.goto(`/admin/devices/${ids.spare}`);
    const wipe = await openPanel(page, "wipe");
    await wipe.getByLabel("To confirm, type the device name or serial number").fill("SN-ACT-SPARE");
    await wipe.getByRole("checkbox").uncheck();
    await wipe.getByRole("button", { name: "Wipe device" }).click();
    await expect.poll(() => fake.deletions.find((d) => d.name === names.spare), { timeout: 30_000 }).toEqual({ name: names.spare, wipeDataFlags: [], wipeReasonMessage: null });
    await expect.poll(async () => (await sql<{ status: string }>("SELECT status FROM devices WHERE id = $1", [ids.spare]))[0]!.status).toBe("WIPED");
    await page.context().close();
  });

  test("owner on a phone, work profile: lock and a new passcode; lost mode and wipe explained; retire removes the work profile", async ({ browser }) => {
    const page = await (await browser.newContext(PHONE)).newPage();
    await signIn(page, OWNER.email, OWNER.password, /\/my$/);
    await page.goto(`/my/devices/${ids.personal}`);
    const unavailable = page.getByTestId("unavailable");
    await expect(unavailable).toContainText("Lost mode needs a company-owned Android device.");
    await expect(unavailable).toContainText("it can remove it (retire) but cannot erase or restart the phone");
    await expect(page.getByTestId("panel-wipe")).toHaveCount(0);

    const lock = await openPanel(page, "lock");
    await lock.getByRole("button", { name: "Lock now" }).click();
    await expect(page.getByTestId("command-status").filter({ hasText: "Lock" }).first()).toHaveAttribute("data-state", "done", { timeout: 30_000 });

    const unlock = await openPanel(page, "unlock");
    await expect(unlock).toContainText("Your phone gets a new passcode, shown here once.");
    await unlock.getByRole("checkbox").check();
    await unlock.getByRole("button", { name: "Clear passcode" }).click();
    await expect(unlock.getByTestId("form-message")).toContainText(/New passcode: [a-z2-9]{4}-[a-z2-9]{4}/);
    await expect(page.getByTestId("command-status").filter({ hasText: "New passcode" }).first()).toHaveAttribute("data-state", "done", { timeout: 30_000 });

    await retireFromPanel(page, "personal");
    await page.context().close();
  });

  test("owner on a phone, fully managed: locate turns lost mode on; wipe keeps factory reset protection", async ({ browser }) => {
    const page = await (await browser.newContext(PHONE)).newPage();
    await signIn(page, OWNER.email, OWNER.password, /\/my$/);
    await page.goto(`/my/devices/${ids.company}`);
    const locate = await openPanel(page, "locate");
    await expect(locate).toContainText("Your phone goes into lost mode");
    await locate.getByLabel("Message on the Lock Screen").fill("この端末を拾った方はご連絡ください");
    await locate.getByRole("button", { name: "Locate" }).click();
    await expect(locate.getByTestId("form-message")).toContainText("Lost mode was sent");
    await expect(page.getByTestId("command-status").filter({ hasText: "Lost mode on" }).first()).toHaveAttribute("data-state", "done", { timeout: 30_000 });
    await expect(page.getByTestId("lost-mode")).toBeVisible({ timeout: 15_000 });

    const wipe = await openPanel(page, "wipe");
    await wipe.getByRole("textbox").first().fill("SN-ACT-COMPANY");
    await wipe.getByRole("button", { name: "Wipe device" }).click();
    await expect.poll(() => fake.deletions.find((d) => d.name === names.company), { timeout: 30_000 }).toEqual({ name: names.company, wipeDataFlags: ["PRESERVE_RESET_PROTECTION_DATA"], wipeReasonMessage: null });
    await expect.poll(async () => (await sql<{ status: string }>("SELECT status FROM devices WHERE id = $1", [ids.company]))[0]!.status).toBe("WIPED");
    await page.context().close();
  });
});
