import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, createEndUser, mailSql, sql } from "./db";
import { installPushCertificate, signIn, enrollmentLink, clearPushCertificates, forgetDevices, openPanel, afterEnrollment } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { SimulatedDevice } from "../../scripts/simulator/device";

// The self-service portal on a phone-sized screen: an end user with a simulated iPhone and Mac
// does every action and watches its live status reach done or failed with the device's answer
// (the simulator answers when the test calls connect(); the page polls, it is never reloaded).
// A second user can reach none of it: pages, server actions and route handlers tried directly.

const ADMIN = { email: "portal-admin@example.jp", password: "portal-admin-pass" };
const HANAKO = { email: "hanako.portal@example.jp", password: "hanako-portal-pass", name: "Hanako Portal" };
const JIRO = { email: "jiro.portal@example.jp", password: "jiro-portal-pass", name: "Jiro Other" };
const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const PHONE = { width: 375, height: 812 };
/** PORTAL_SCREENSHOTS=/tmp/shots saves full-page screenshots for a person to look at. */
const shots = process.env.PORTAL_SCREENSHOTS;
const shot = async (page: Page, name: string) => {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
};

const deviceId = async (udid: string) => (await sql<{ id: string }>("SELECT id FROM devices WHERE udid = $1", [udid]))[0]!.id;
const commandCount = async (id: string) => Number((await sql<{ n: string }>("SELECT count(*) AS n FROM commands WHERE device_id = $1", [id]))[0]!.n);
const status = (page: Page, type: string) => page.locator(`[data-testid="command-status"][data-type="${type}"]`).first();
const open = (page: Page, action: string) => openPanel(page, `panel-${action}`);

/** A server action request as the browser sent it, to replay with another session. */
type Captured = { url: string; headers: Record<string, string>; body: Buffer };

test.describe.serial("self-service portal", () => {
  test.describe.configure({ timeout: 120_000 });
  test.use({ viewport: PHONE });
  let iphone: SimulatedDevice;
  let mac: SimulatedDevice;
  let iphoneId: string;
  let macId: string;
  let wipeRequest: Captured;

  test.beforeAll(async () => {
    await clearPushCertificates();
    await createAdmin(ADMIN.email, ADMIN.password, "Portal Admin");
    await createEndUser(HANAKO.email, HANAKO.password, HANAKO.name);
    await createEndUser(JIRO.email, JIRO.password, JIRO.name);
  });

  test.afterAll(async () => {
    await forgetDevices([iphone?.udid, mac?.udid]);
    await clearPushCertificates();
    await sql("DELETE FROM settings WHERE key = 'privacy'");
    await sql("DELETE FROM user_groups WHERE name LIKE 'Portal %'");
  });

  test("admin: groups are created, renamed, counted and deleted", async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("link", { name: "User groups", exact: true }).click();
    await expect(page).toHaveURL(/\/admin\/groups$/);
    const create = page.getByTestId("create-group");
    await create.getByRole("button", { name: "Create group" }).click();
    await expect(create.getByTestId("form-error")).toHaveText("Enter a group name.");
    await create.getByLabel("Name").fill("Portal Temp");
    await create.getByLabel("Description (optional)").fill("営業部");
    await create.getByRole("button", { name: "Create group" }).click();
    await expect(create.getByTestId("form-message")).toHaveText("Group Portal Temp was created.");
    await create.getByLabel("Name").fill("portal temp");
    await create.getByRole("button", { name: "Create group" }).click();
    await expect(create.getByTestId("form-error")).toHaveText("A group named portal temp already exists.");

    const row = page.getByTestId("group-row").filter({ hasText: "Portal" });
    await expect(row.getByTestId("group-members")).toHaveText("Members: 0");
    await row.getByText("Rename or delete").click();
    const edit = row.getByTestId("edit-group");
    await edit.getByLabel("Name").fill("Portal Field");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(edit.getByTestId("form-message")).toHaveText("Group Portal Field was saved.");
    await sql("UPDATE users SET group_id = (SELECT id FROM user_groups WHERE name = 'Portal Field') WHERE email = $1", [JIRO.email]);
    await page.reload();
    const renamed = page.locator('[data-testid="group-row"][data-name="Portal Field"]');
    await expect(renamed.getByTestId("group-members")).toHaveText("Members: 1");
    await renamed.getByText("Rename or delete").click();
    const del = renamed.getByTestId("delete-group");
    await del.getByRole("button", { name: "Delete group" }).click();
    await expect(del.getByTestId("form-error")).toHaveText("Tick the box to confirm.");
    await del.getByLabel("Delete Portal Field").check();
    await del.getByRole("button", { name: "Delete group" }).click();
    await expect(page.getByTestId("group-deleted")).toHaveText("Group Portal Field was deleted.");
    await expect(page.getByTestId("group-row").filter({ hasText: "Portal Field" })).toHaveCount(0);
    expect((await sql("SELECT group_id FROM users WHERE email = $1", [JIRO.email]))[0]!.group_id).toBeNull();
    await page.goto("/admin/audit");
    await expect(page.getByTestId("audit-row").filter({ hasText: "Group deleted" }).first()).toContainText(ADMIN.email);
  });

  test("admin: privacy settings, global and per group; location is off until allowed", async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("link", { name: "Privacy", exact: true }).click();
    const global = page.getByTestId("privacy-global");
    await expect(global.getByLabel(/See location/)).not.toBeChecked();
    await expect(global.getByLabel(/^Wipe/)).toBeChecked();
    await global.getByLabel(/See location/).check();
    await global.getByRole("button", { name: "Save" }).click();
    await expect(global.getByTestId("form-message")).toHaveText("Privacy settings saved.");

    await page.goto("/admin/groups");
    const create = page.getByTestId("create-group");
    await create.getByLabel("Name").fill("Portal No Wipe");
    await create.getByRole("button", { name: "Create group" }).click();
    await expect(create.getByTestId("form-message")).toBeVisible();
    await page.goto("/admin/privacy");
    const group = page.locator('[data-testid="privacy-group"][data-name="Portal No Wipe"]');
    await expect(group.getByTestId("effective-wipe")).toHaveText("Now: allowed");
    await group.getByLabel("Wipe").selectOption({ label: "Do not allow" });
    await group.getByRole("button", { name: "Save" }).click();
    await expect(group.getByTestId("form-message")).toHaveText("Privacy settings saved.");
    await page.reload();
    await expect(page.locator('[data-testid="privacy-group"][data-name="Portal No Wipe"]').getByTestId("effective-wipe")).toHaveText("Now: not allowed");
    await expect(page.locator('[data-testid="privacy-group"][data-name="Portal No Wipe"]').getByTestId("effective-location")).toHaveText("Now: allowed");
  });

  test("an iPhone and a Mac enroll for Hanako; her portal lists them with an enroll link and QR code", async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ADMIN.email, ADMIN.password);
    await installPushCertificate(page, ca, randomUUID());
    iphone = new SimulatedDevice({ platform: "ios" });
    await iphone.enroll(await enrollmentLink(page, HANAKO));
    mac = new SimulatedDevice({ platform: "macos" });
    await mac.enroll(await enrollmentLink(page, HANAKO));
    await afterEnrollment(iphone.udid);
    await afterEnrollment(mac.udid);
    expect(await iphone.connect()).toBe(2);
    expect(await mac.connect()).toBe(2);
    iphoneId = await deviceId(iphone.udid);
    macId = await deviceId(mac.udid);

    await page.context().clearCookies();
    await page.setViewportSize(PHONE);
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    const cards = page.getByTestId("my-device");
    await expect(cards).toHaveCount(2);
    const phoneCard = cards.filter({ hasText: "Hanako's iPhone" });
    await expect(phoneCard).toContainText("iPhone");
    await expect(phoneCard).toContainText("iOS 18.1");
    await expect(phoneCard.getByTestId("my-device-status")).toHaveText("Active");
    await expect(phoneCard).toContainText("Last check-in");
    await expect(cards.filter({ hasText: "Hanako's MacBook Pro" })).toContainText("macOS 15.1");
    await expect(page.getByRole("link", { name: "Enroll another device" })).toHaveAttribute("href", "/my/enroll");
    // The link leads to the QR code bound to her (single use, short-lived), made when she asks for it.
    await page.getByRole("link", { name: "Enroll another device" }).click();
    await page.getByRole("button", { name: "Show a QR code" }).click();
    await expect(page.getByRole("img", { name: "QR code to enroll another device" }).locator("svg")).toBeVisible();
    await page.goBack();
    await expect(page).toHaveURL(/\/my$/);
    await shot(page, "my-devices");
    // Nothing sticks out of a phone's width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  });

  test("lock: message and phone number; the status goes from queued to done", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.getByTestId("my-device").filter({ hasText: "Hanako's iPhone" }).click();
    await expect(page).toHaveURL(`/my/devices/${iphoneId}`);
    const lock = await open(page, "lock");
    await lock.getByLabel("Message on the Lock Screen (optional)").fill("拾った方はご連絡ください");
    await lock.getByLabel("Phone number on the Lock Screen (optional)").fill("090-1234-5678");
    await lock.getByRole("button", { name: "Lock now" }).click();
    await expect(lock.getByTestId("form-message")).toHaveText("Lock sent.");
    await expect(status(page, "DeviceLock")).toHaveAttribute("data-state", "queued");
    await expect(status(page, "DeviceLock")).toContainText("Queued");
    expect(await iphone.connect()).toBe(1);
    expect(iphone.locked).toBe(true);
    await expect(status(page, "DeviceLock")).toHaveAttribute("data-state", "done");
    await expect(status(page, "DeviceLock")).toContainText("Done");
    const [audit] = await sql<{ actor_label: string; ip: string | null }>("SELECT actor_label, ip FROM audit_events WHERE action = 'device.lock' AND target_id = $1", [iphoneId]);
    expect(audit).toMatchObject({ actor_label: HANAKO.email });
    expect(audit!.ip).toBeTruthy();
  });

  test("unlock: needs the tick, then clears the passcode", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${iphoneId}`);
    const unlock = await open(page, "unlock");
    await unlock.getByRole("button", { name: "Clear passcode" }).click();
    await expect(unlock.getByTestId("form-error")).toHaveText("Tick the box to confirm.");
    await unlock.getByLabel("I have the device in my hand.").check();
    await unlock.getByRole("button", { name: "Clear passcode" }).click();
    await expect(unlock.getByTestId("form-message")).toContainText("Clear passcode sent");
    await expect(status(page, "ClearPasscode")).toHaveAttribute("data-state", "queued");
    expect(await iphone.connect()).toBe(1);
    expect(iphone.locked).toBe(false);
    await expect(status(page, "ClearPasscode")).toHaveAttribute("data-state", "done");
  });

  test("locate: lost mode first, then the position with accuracy, time and a map link; then lost mode off", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${iphoneId}`);
    await expect(page.getByTestId("location")).toHaveCount(0);
    const locate = await open(page, "locate");
    await locate.getByRole("button", { name: "Locate", exact: true }).click();
    await expect(locate.getByTestId("form-error")).toHaveText("Enter a message or a phone number to show on the Lock Screen.");
    await locate.getByLabel("Message on the Lock Screen").fill("このiPhoneを拾った方はご連絡ください");
    await locate.getByRole("button", { name: "Locate", exact: true }).click();
    await expect(locate.getByTestId("form-message")).toHaveText("Asked the device for its location.");
    await expect(status(page, "DeviceLocation")).toHaveAttribute("data-state", "queued");
    await expect(status(page, "EnableLostMode")).toHaveAttribute("data-state", "queued");
    expect(await iphone.connect()).toBe(2);
    await expect(status(page, "DeviceLocation")).toHaveAttribute("data-state", "done");
    await expect(status(page, "DeviceLocation").getByTestId("command-answer")).toHaveText("Device's answer: 35.68124, 139.76712");
    const location = page.getByTestId("location");
    await expect(location).toContainText("35.681236, 139.767125");
    await expect(location).toContainText("within 12.5 m");
    await expect(location).toContainText("Located at");
    await expect(location.getByRole("link", { name: "Open in Maps" })).toHaveAttribute("href", "https://maps.apple.com/?ll=35.681236,139.767125&q=35.681236,139.767125");
    await expect(location.getByRole("link", { name: "Open in another map app" })).toHaveAttribute("href", "geo:35.681236,139.767125?q=35.681236,139.767125");
    await expect(page.getByTestId("lost-mode")).toBeVisible();
    await shot(page, "located");

    const off = await open(page, "lostModeOff");
    await off.getByRole("button", { name: "Turn off lost mode", exact: true }).click();
    await expect(off.getByTestId("form-message")).toHaveText("Asked the device to leave lost mode.");
    expect(await iphone.connect()).toBe(1);
    expect(iphone.lostMode).toBe(false);
    await expect(status(page, "DisableLostMode")).toHaveAttribute("data-state", "done");
    await expect(page.getByTestId("lost-mode")).toHaveCount(0);
    // Leaving lost mode forgets the position.
    await page.reload();
    await expect(page.getByTestId("location")).toHaveCount(0);
    expect((await sql(`SELECT location FROM devices WHERE id = $1`, [iphoneId]))[0]?.location).toBeNull();
  });

  test("force check-in: an unreachable Apple is told, and the page sees the device check in", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${iphoneId}`);
    const checkIn = page.getByTestId("action-checkIn");
    await checkIn.getByRole("button", { name: "Check in now" }).click();
    // The e2e server's APNS_URL is a closed port: the wake-up fails and the user is told so.
    await expect(checkIn.getByTestId("form-message")).toHaveText(
      "Your request is queued, but the device could not be woken now (Apple's push service could not be reached). It picks the request up at its next check-in.",
    );
    await expect(page.getByTestId("checkin-status")).toHaveAttribute("data-state", "waiting");
    await iphone.connect();
    await expect(page.getByTestId("checkin-status")).toHaveAttribute("data-state", "done");
    await expect(page.getByTestId("checkin-status")).toContainText("The device checked in at");
  });

  test("Mac: lock asks for a PIN and shows it once; a device error is shown as the device's answer", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${macId}`);
    await expect(page.getByTestId("unavailable")).toContainText("Clear passcode: This action does not exist on Mac.");
    await expect(page.getByTestId("unavailable")).toContainText("Locate: This action does not exist on Mac.");
    await expect(page.getByTestId("panel-unlock")).toHaveCount(0);
    await expect(page.getByTestId("panel-locate")).toHaveCount(0);
    const lock = await open(page, "lock");
    await lock.getByRole("button", { name: "Lock now" }).click();
    await expect(lock.getByTestId("form-error")).toHaveText("Enter a six-digit PIN. It is needed to unlock the Mac afterwards.");
    await lock.getByLabel("Six-digit PIN").fill("２４６８１０");
    mac.opts.error = ["DeviceLock"];
    await lock.getByRole("button", { name: "Lock now" }).click();
    await expect(lock.getByTestId("form-message")).toContainText("Your Mac's PIN: 246810");
    await expect(lock.getByLabel("Six-digit PIN")).toHaveValue("");
    expect(await mac.connect()).toBe(1);
    await expect(status(page, "DeviceLock")).toHaveAttribute("data-state", "failed");
    await expect(status(page, "DeviceLock").getByTestId("command-answer")).toHaveText("Device's answer: DeviceLock failed on the simulated device (MCMDMErrorDomain 12021)");
    await shot(page, "mac-lock-failed");
    mac.opts.error = [];
    await page.reload();
    await expect(page.getByText("246810")).toHaveCount(0);
  });

  test("retire: a tick, then management is removed and the page says so", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${macId}`);
    const retire = await open(page, "retire");
    await retire.getByRole("button", { name: "Retire device" }).click();
    await expect(retire.getByTestId("form-error")).toHaveText("Tick the box to confirm.");
    await retire.getByLabel("I understand that this device will no longer be managed.").check();
    await retire.getByRole("button", { name: "Retire device" }).click();
    await expect(retire.getByTestId("form-message")).toContainText("your personal data stays");
    expect(await mac.connect()).toBe(1);
    expect(mac.retired).toBe(true);
    await expect(status(page, "RemoveProfile")).toHaveAttribute("data-state", "done");
    await expect(page.getByTestId("not-managed")).toBeVisible();
    await page.goto("/my");
    await expect(page.getByTestId("my-device").filter({ hasText: "MacBook" }).getByTestId("my-device-status")).toHaveText("Retired");
  });

  test("wipe: the typed name must match (the request is kept to replay later)", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${iphoneId}`);
    const wipe = await open(page, "wipe");
    await expect(wipe.getByTestId("wipe-confirm-text")).toHaveText(["Hanako's iPhone", iphone.serial]);
    await wipe.getByLabel("To confirm, type the device name or serial number").fill("Hanako's iPad");
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === "POST" && !!r.headers()["next-action"]),
      wipe.getByRole("button", { name: "Wipe device" }).click(),
    ]);
    await expect(wipe.getByTestId("form-error")).toContainText("What you typed does not match.");
    wipeRequest = { url: request.url(), headers: await request.allHeaders(), body: request.postDataBuffer()! };
    expect(wipeRequest.body.toString()).toContain(iphoneId);
  });

  test("a second user: the device page, the status route and the server action all refuse", async ({ page }) => {
    const before = await commandCount(iphoneId);
    await signIn(page, JIRO.email, JIRO.password, /\/my$/);
    await expect(page.getByTestId("my-device")).toHaveCount(0);
    expect((await page.goto(`/my/devices/${iphoneId}`))!.status()).toBe(404);
    expect((await page.goto(`/my/devices/${macId}`))!.status()).toBe(404);
    const api = await page.request.get(`/api/my/devices/${iphoneId}/commands`);
    expect(api.status()).toBe(404);
    expect(await api.text()).not.toContain("DeviceLock");
    // Hanako's wipe request, replayed with Jiro's session.
    const { cookie: _c, "content-length": _l, ...headers } = wipeRequest.headers;
    const replay = await page.request.post(wipeRequest.url, { headers, data: wipeRequest.body });
    expect(await replay.text()).toContain("This device does not exist or is not yours.");
    expect(await commandCount(iphoneId)).toBe(before);
    const denied = await sql("SELECT action FROM audit_events WHERE actor_label = $1 AND result = 'DENIED' AND target_id = $2", [JIRO.email, iphoneId]);
    expect(denied.map((d) => d.action)).toEqual(expect.arrayContaining(["portal.status", "portal.wipe"]));
    // The admin's group and privacy pages are not for end users.
    for (const path of ["/admin/groups", "/admin/privacy"]) expect((await page.goto(path))!.status()).toBe(403);
    // Signed out: the route answers 401.
    await page.context().clearCookies();
    expect((await page.request.get(`/api/my/devices/${iphoneId}/commands`)).status()).toBe(401);
  });

  test("privacy: wipe denied for her group is hidden, and the server refuses the request", async ({ page }) => {
    await sql("UPDATE users SET group_id = (SELECT id FROM user_groups WHERE name = 'Portal No Wipe') WHERE email = $1", [HANAKO.email]);
    const before = await commandCount(iphoneId);
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${iphoneId}`);
    await expect(page.getByTestId("panel-lock")).toBeVisible();
    await expect(page.getByTestId("panel-wipe")).toHaveCount(0);
    await expect(page.getByTestId("panel-retire")).toBeVisible();
    const { cookie: _c, "content-length": _l, ...headers } = wipeRequest.headers;
    const replay = await page.request.post(wipeRequest.url, { headers, data: wipeRequest.body });
    expect(await replay.text()).toContain("Your organisation does not allow this action in the portal.");
    expect(await commandCount(iphoneId)).toBe(before);
    // Location is allowed globally and not overridden for the group.
    await expect(page.getByTestId("panel-locate")).toBeVisible();
    await sql("UPDATE users SET group_id = NULL WHERE email = $1", [HANAKO.email]);
  });

  test("wipe: with the serial number typed, the device erases itself", async ({ page }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.goto(`/my/devices/${iphoneId}`);
    const wipe = await open(page, "wipe");
    await wipe.getByLabel("To confirm, type the device name or serial number").fill(iphone.serial.toLowerCase());
    await wipe.getByRole("button", { name: "Wipe device" }).click();
    await expect(wipe.getByTestId("form-message")).toHaveText("Wipe sent. The device erases all its data when it receives it.");
    await expect(status(page, "EraseDevice")).toHaveAttribute("data-state", "queued");
    expect(await iphone.connect()).toBe(1);
    expect(iphone.wiped).toBe(true);
    await expect(status(page, "EraseDevice")).toHaveAttribute("data-state", "done");
    await expect(page.getByTestId("not-managed")).toBeVisible();
    const events = await sql<{ action: string }>("SELECT action FROM audit_events WHERE actor_label = $1 AND target_id = $2 AND result = 'SUCCESS' ORDER BY id", [HANAKO.email, iphoneId]);
    expect(events.map((e) => e.action).filter((a) => a.startsWith("device."))).toEqual(["device.lock", "device.clearPasscode", "device.locate", "device.lostModeOff", "device.checkIn", "device.wipe"]);
  });

  test("account: name, then email through the link mailed to the new address", async ({ page, browser }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    await page.getByRole("link", { name: "Account" }).click();
    const name = page.getByTestId("name-form");
    await name.getByLabel("Display name").fill("  ");
    await name.getByRole("button", { name: "Save" }).click();
    await expect(name.getByTestId("form-error")).toHaveText("Enter a name.");
    await name.getByLabel("Display name").fill("佐藤 花子");
    await name.getByRole("button", { name: "Save" }).click();
    await expect(name.getByTestId("form-message")).toHaveText("Your name was saved.");

    const email = page.getByTestId("email-form");
    await email.getByLabel("New email address").fill(JIRO.email);
    await email.getByRole("button", { name: "Send confirmation link" }).click();
    await expect(email.getByTestId("form-error")).toHaveText("This email address is already used by another account.");
    await email.getByLabel("New email address").fill("Hanako.New@Example.jp");
    await email.getByRole("button", { name: "Send confirmation link" }).click();
    await expect(email.getByTestId("form-message")).toHaveText("We sent a confirmation link to hanako.new@example.jp. Open it to finish the change.");
    await expect(page.getByTestId("current-email")).toHaveText(HANAKO.email);
    const [mail] = await mailSql<{ text: string }>("SELECT text FROM mail_messages WHERE 'hanako.new@example.jp' = ANY(\"to\") ORDER BY created_at DESC LIMIT 1");
    const link = /(http\S+\/email-change\/\S+)/.exec(mail!.text)![1]!;

    // The link works on its own, signed out, once.
    const other = await browser.newContext({ viewport: PHONE, locale: "en-US" });
    const fresh = await other.newPage();
    await fresh.goto(link);
    await expect(fresh.getByText(`Change the sign-in address from ${HANAKO.email} to hanako.new@example.jp?`)).toBeVisible();
    await fresh.getByRole("button", { name: "Confirm the change" }).click();
    await expect(fresh.getByTestId("form-message")).toHaveText("Your email address is now hanako.new@example.jp. Use it to sign in.");
    await fresh.goto(link);
    await expect(fresh.getByTestId("email-link-invalid")).toBeVisible();
    await other.close();
    await page.reload();
    await expect(page.getByTestId("current-email")).toHaveText("hanako.new@example.jp");
    HANAKO.email = "hanako.new@example.jp";
  });

  test("account: password needs the current one; other sessions end, this one stays; directory users are sent to the directory", async ({ page, browser }) => {
    await signIn(page, HANAKO.email, HANAKO.password, /\/my$/);
    const second = await browser.newContext({ viewport: PHONE, locale: "en-US" });
    const secondPage = await second.newPage();
    await signIn(secondPage, HANAKO.email, HANAKO.password, /\/my$/);

    await page.goto("/my/account");
    const form = page.getByTestId("password-form");
    await form.getByLabel("Current password").fill("not-my-password");
    await form.getByLabel("New password", { exact: true }).fill("a-new-portal-pass");
    await form.getByLabel("New password again").fill("a-new-portal-pass");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(form.getByTestId("form-error")).toHaveText("The current password is incorrect.");
    await form.getByLabel("Current password").fill(HANAKO.password);
    await form.getByLabel("New password", { exact: true }).fill("a-new-portal-pass");
    await form.getByLabel("New password again").fill("a-new-portal-pass");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(page.getByTestId("password-changed")).toHaveText("Your password was changed. Other sessions were signed out.");
    await expect(page).toHaveURL(/\/my\/account\?password=changed$/);
    await page.goto("/my/account");
    await expect(page).toHaveURL(/\/my\/account$/);
    await secondPage.goto("/my/account");
    await expect(secondPage).toHaveURL(/\/login/);
    await second.close();

    await sql("UPDATE users SET source = 'DIRECTORY' WHERE email = $1", [HANAKO.email]);
    await page.reload();
    await expect(page.getByTestId("directory-password")).toContainText("Change your password in the directory");
    await expect(page.getByTestId("password-form")).toHaveCount(0);
    await shot(page, "account-directory");
    await sql("UPDATE users SET source = 'LOCAL' WHERE email = $1", [HANAKO.email]);
  });

  test.describe("in Japanese", () => {
    test.use({ locale: "ja-JP" });

    test("the device page and account page speak Japanese", async ({ page }) => {
      await page.goto("/login");
      await page.getByLabel("メールアドレス").fill(HANAKO.email);
      await page.getByLabel("パスワード").fill("a-new-portal-pass");
      await page.getByRole("button", { name: "ログイン" }).click();
      await expect(page).toHaveURL(/\/my$/);
      await expect(page.getByRole("link", { name: "別のデバイスを登録" })).toBeVisible();
      await page.goto(`/my/devices/${iphoneId}`);
      await expect(page.getByRole("heading", { name: "リクエストの状況" })).toBeVisible();
      await expect(status(page, "EraseDevice")).toContainText("完了");
      await page.goto("/my/account");
      await expect(page.getByRole("heading", { name: "パスワード" })).toBeVisible();
    });
  });
});
