import { randomUUID } from "node:crypto";
import path from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { installPushCertificate, signIn, enrollmentLink, clearPushCertificates, forgetDevices, openPanel, afterEnrollment } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { SimulatedDevice } from "../../scripts/simulator/device";

// The admin device page, end to end: simulated devices enroll through the public protocol and
// answer the commands the page's actions queue when the test calls connect(). In this setup
// Apple's push service is out of reach, so each action waits for its push to give up (seconds).

const ADMIN = { email: "devices@example.jp", password: "device-page-admin" };
const OWNER = { email: "taro@example.jp", password: "device-page-owner", name: "Taro Yamada" };
const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const uuid = randomUUID();
/** DEVICE_PAGE_SCREENSHOTS=/tmp/shots saves full-page screenshots for a person to look at. */
const shots = process.env.DEVICE_PAGE_SCREENSHOTS;

async function shot(page: Page, name: string, fullPage = true) {
  if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });
}

const row = (page: Page, type: string) => page.locator(`[data-testid="command-row"][data-type="${type}"]`);
const panel = (page: Page, action: string): Promise<Locator> => openPanel(page, `panel-${action}`);

test.describe.serial("admin device page", () => {
  test.describe.configure({ timeout: 150_000 });
  let iphone: SimulatedDevice;
  let mac: SimulatedDevice;
  let iphonePage: string;
  let macPage: string;

  test.beforeAll(async () => {
    // Specs share one database: start from no push certificate, as the others expect.
    await clearPushCertificates();
    await createAdmin(ADMIN.email, ADMIN.password, "Device Admin");
    await createEndUser(OWNER.email, OWNER.password, OWNER.name);
  });

  test.afterAll(async () => {
    // Leave no device or push certificate behind for the specs that follow.
    await forgetDevices([iphone?.udid, mac?.udid]);
    await clearPushCertificates();
  });

  test("an iPhone and a Mac enroll; each row links to a page with what the device reported", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await installPushCertificate(page, ca, uuid);
    iphone = new SimulatedDevice({ platform: "ios" });
    await iphone.enroll(await enrollmentLink(page, OWNER));
    mac = new SimulatedDevice({ platform: "macos" });
    await mac.enroll(await enrollmentLink(page, OWNER));
    await afterEnrollment(iphone.udid);
    await afterEnrollment(mac.udid);
    expect(await iphone.connect()).toBe(2);
    expect(await mac.connect()).toBe(2);

    await page.goto(`/admin/devices?q=${iphone.serial}`);
    await page.getByTestId("device-row").getByRole("link", { name: "Hanako's iPhone" }).click();
    await expect(page).toHaveURL(/\/admin\/devices\/[0-9a-f-]{36}$/);
    iphonePage = new URL(page.url()).pathname;
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hanako's iPhone");
    await expect(page.getByTestId("device-status")).toHaveText("Active");
    const main = page.locator("main");
    for (const text of [`${OWNER.name} (${OWNER.email})`, "256 GB", "171.3 GB", "82%", "iPhone16,2", iphone.serial, "18.1", "22B83", "a4:83:e7:12:34:56", "a4:83:e7:12:34:57", "+81 90 1234 5678", `com.apple.mgmt.External.${uuid}`]) {
      await expect(main.getByText(text, { exact: true }).first()).toBeVisible();
    }
    await expect(page.getByTestId("security-info")).toContainText("Passcode setYes");
    await expect(page.getByTestId("security-info")).toContainText("Data protectionYes");
    await expect(page.getByTestId("unmanageable")).toHaveCount(0);
    // Apps, profiles and certificates come with the first refresh.
    await expect(page.getByRole("heading", { name: "Installed apps", exact: true })).toBeVisible();
    await expect(row(page, "DeviceInformation")).toHaveAttribute("data-status", "ACKNOWLEDGED");
    await expect(row(page, "DeviceInformation")).toContainText("Hanako's iPhone · 18.1");
    // Only what applies: an iPhone outside lost mode has no "locate"; a Mac has no lost mode.
    await expect(page.getByTestId("action-locate")).toHaveCount(0);
    await expect(page.getByTestId("panel-lostModeOn")).toHaveCount(1);

    await page.goto(`/admin/devices?q=${mac.serial}`);
    await page.getByTestId("device-row").getByRole("link", { name: "Hanako's MacBook Pro" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hanako's MacBook Pro");
    macPage = new URL(page.url()).pathname;
    await expect(page.getByTestId("security-info")).toContainText("FileVaultYes");
    await expect(page.getByTestId("panel-lostModeOn")).toHaveCount(0);
    await expect(page.getByTestId("panel-clearPasscode")).toHaveCount(0);
    await expect(page.getByTestId("unavailable")).toContainText("Clear passcode: This action does not exist on Mac.");
  });

  test("an end user gets 403; an unknown device is not found", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password, /\/my$/);
    const res = await page.goto(iphonePage);
    expect(res!.status()).toBe(403);
    await expect(page.getByTestId("forbidden")).toBeVisible();
    await page.context().clearCookies();
    await signIn(page, ADMIN.email, ADMIN.password);
    expect((await page.goto(`/admin/devices/${randomUUID()}`))!.status()).toBe(404);
    expect((await page.goto("/admin/devices/not-a-device"))!.status()).toBe(404);
  });

  test("refresh: apps, profiles and certificates appear once the device answers", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(iphonePage);
    const refresh = page.getByTestId("action-refresh");
    await refresh.getByRole("button", { name: "Refresh information" }).click();
    await expect(refresh.getByTestId("form-message")).toHaveText("Asked for the latest information. It appears here after the device connects.");
    for (const type of ["DeviceInformation", "SecurityInfo", "InstalledApplicationList", "ProfileList", "CertificateList"]) {
      await expect(row(page, type).first()).toHaveAttribute("data-status", "QUEUED");
    }
    await expect(row(page, "CertificateList")).toContainText("Waiting");
    await expect(row(page, "CertificateList")).toContainText(ADMIN.email);

    expect(await iphone.connect()).toBe(5);
    await page.reload();
    await expect(page.getByRole("heading", { name: "Installed apps (3)" })).toBeVisible();
    await expect(page.getByTestId("app-row")).toHaveCount(3);
    await expect(page.getByTestId("apps")).toContainText("jp.naver.line");
    await expect(page.getByTestId("app-row").filter({ hasText: "LINE" })).toContainText("14.19.0");
    await expect(page.getByTestId("profile-row")).toHaveCount(1);
    await expect(page.getByTestId("profile-row")).toContainText("Mamori");
    await expect(page.getByTestId("profile-row")).toContainText("Managed");
    await expect(page.getByTestId("certificate-row")).toHaveCount(1);
    await expect(page.getByTestId("certificate-row")).toContainText("Mamori Device CA");
    await expect(page.getByTestId("certificate-row")).toContainText(/Valid until \d{1,2}\/\d{1,2}\/\d{2}/);
    await expect(row(page, "InstalledApplicationList")).toHaveAttribute("data-status", "ACKNOWLEDGED");
    await expect(row(page, "InstalledApplicationList").getByTestId("command-result")).toHaveText("Apps: 3");
    await expect(row(page, "CertificateList").getByTestId("command-result")).toHaveText("Certificates: 1");
    await shot(page, "iphone-after-refresh");
  });

  test.describe("in Japanese", () => {
    test.use({ locale: "ja-JP" });

    test("Japanese UI", async ({ page }) => {
      await page.goto("/login");
      await page.getByLabel("メールアドレス").fill(ADMIN.email);
      await page.getByLabel("パスワード").fill(ADMIN.password);
      await page.getByRole("button", { name: "ログイン" }).click();
      await expect(page).toHaveURL(/\/admin$/);
      await page.goto(iphonePage);
      await expect(page.getByTestId("device-status")).toHaveText("アクティブ");
      for (const heading of ["管理情報", "ハードウェア", "OS・ネットワーク", "セキュリティ", "操作", "コマンド履歴", "インストール済みアプリ（3）", "このデバイスの監査ログ"]) {
        await expect(page.getByRole("heading", { name: heading, exact: true })).toBeVisible();
      }
      await expect(page.getByRole("button", { name: "最新の情報を取得" })).toBeVisible();
      await expect(page.getByTestId("panel-wipe")).toContainText("ワイプ");
      await expect(page.getByTestId("panel-retire")).toContainText("管理解除");
      await expect(page.getByTestId("panel-lostModeOn")).toContainText("紛失モードをオン");
      await expect(row(page, "InstalledApplicationList")).toContainText("完了");
      await expect(row(page, "InstalledApplicationList").getByTestId("command-result")).toHaveText("アプリ 3 件");
      await expect(page.getByTestId("device-audit")).toContainText("デバイス情報の取得");
      // A refusal in Japanese too.
      const lost = await panel(page, "lostModeOn");
      await lost.getByRole("button", { name: "紛失モードをオンにする" }).click();
      await expect(lost.getByTestId("form-error")).toHaveText("ロック画面に表示するメッセージまたは電話番号を入力してください。");
      await shot(page, "iphone-ja");
    });
  });

  test("locking a Mac needs its six-digit PIN, shown back once", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(macPage);
    const lock = await panel(page, "lock");
    await lock.getByLabel("Message on the Lock Screen (optional)").fill("IT 部門 (内線 1234) に連絡してください");
    await lock.getByRole("button", { name: "Lock device" }).click();
    await expect(lock.getByTestId("form-error")).toHaveText("Enter a six-digit PIN. It is needed to unlock the Mac afterwards.");
    await expect(row(page, "DeviceLock")).toHaveCount(0);
    await lock.getByLabel("Six-digit PIN").fill("12345");
    await lock.getByRole("button", { name: "Lock device" }).click();
    await expect(lock.getByTestId("form-error")).toHaveText("The PIN must be exactly six digits.");
    await lock.getByLabel("Six-digit PIN").fill("４８２９１６"); // full-width digits from a Japanese IME
    await lock.getByRole("button", { name: "Lock device" }).click();
    await expect(lock.getByTestId("form-message")).toContainText("PIN: 482916");
    await expect(lock.getByTestId("form-message")).toContainText("Write it down and keep it safe: the Mac can be unlocked only with it");
    await expect(lock.getByLabel("Six-digit PIN")).toHaveValue("");
    await lock.scrollIntoViewIfNeeded();
    await shot(page, "mac-lock-pin", false);
    await expect(row(page, "DeviceLock")).toHaveAttribute("data-status", "QUEUED");
    expect(await mac.connect()).toBe(1);
    expect(mac.locked).toBe(true);
    await page.reload();
    await expect(row(page, "DeviceLock")).toHaveAttribute("data-status", "ACKNOWLEDGED");
    await expect(page.getByText("482916")).toHaveCount(0); // shown once, never again
    const [stored] = await sql<{ payload: Record<string, unknown> }>("SELECT c.payload FROM commands c JOIN devices d ON d.id = c.device_id WHERE d.udid = $1 AND c.request_type = 'DeviceLock'", [mac.udid]);
    expect(stored!.payload).toMatchObject({ PIN: "[sealed]", Message: "IT 部門 (内線 1234) に連絡してください" });
  });

  test("check in: the push result is told and recorded", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(macPage);
    const checkIn = page.getByTestId("action-checkIn");
    await checkIn.getByRole("button", { name: "Ask to check in" }).click();
    await expect(checkIn.getByRole("button", { name: "Sending…" })).toBeVisible();
    await expect(checkIn.getByTestId("form-message")).toHaveText("The device could not be woken: Apple's push service could not be reached. It gets its commands at its next check-in.");
    await expect(page.getByTestId("last-push")).toContainText("Apple's push service could not be reached");
  });

  test("lost mode on, then locate: the location appears with map links", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(iphonePage);
    const lost = await panel(page, "lostModeOn");
    await lost.getByLabel("Message", { exact: true }).fill("拾った方はご連絡ください");
    await lost.getByLabel("Phone number").fill("03-1234-5678");
    await lost.getByRole("button", { name: "Turn on lost mode" }).click();
    await expect(lost.getByTestId("form-message")).toContainText("Lost mode was sent");
    expect(await iphone.connect()).toBe(1);
    await page.reload();
    await expect(page.getByTestId("lost-mode")).toBeVisible();
    await expect(page.getByTestId("panel-lostModeOn")).toHaveCount(0);
    await expect(page.getByTestId("panel-lostModeOff")).toHaveCount(1);
    await expect(page.getByTestId("location")).toHaveCount(0);

    const locate = page.getByTestId("action-locate");
    await locate.getByRole("button", { name: "Get location" }).click();
    await expect(locate.getByTestId("form-message")).toContainText("Asked for the location");
    expect(await iphone.connect()).toBe(1);
    await page.reload();
    const location = page.getByTestId("location");
    await expect(location).toContainText("35.681236, 139.767125");
    await expect(location).toContainText("12.5 m");
    await expect(location.getByRole("link", { name: "Open in Apple Maps" })).toHaveAttribute("href", "https://maps.apple.com/?ll=35.681236,139.767125&q=35.681236,139.767125");
    await expect(location.getByRole("link", { name: "Open in OpenStreetMap" })).toHaveAttribute("href", /^https:\/\/www\.openstreetmap\.org\/\?mlat=35\.681236&mlon=139\.767125/);
    await expect(row(page, "DeviceLocation").getByTestId("command-result")).toHaveText("35.68124, 139.76712");
    await shot(page, "iphone-lost-mode");
  });

  test("a queued command can be cancelled and is then never sent", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(iphonePage);
    const sound = page.getByTestId("action-playSound");
    await sound.getByRole("button", { name: "Play sound" }).click();
    await expect(sound.getByTestId("form-message")).toContainText("Asked the device to play a sound.");
    const queued = row(page, "PlayLostModeSound");
    await expect(queued).toHaveAttribute("data-status", "QUEUED");
    await queued.getByRole("button", { name: "Cancel" }).click();
    // The row itself is the result: its status changes and the button goes.
    await expect(queued).toHaveAttribute("data-status", "CANCELLED");
    await page.reload();
    await expect(row(page, "PlayLostModeSound")).toHaveAttribute("data-status", "CANCELLED");
    await expect(row(page, "PlayLostModeSound")).toContainText("Cancelled");
    await expect(row(page, "PlayLostModeSound").getByRole("button", { name: "Cancel" })).toHaveCount(0);
    expect(await iphone.connect()).toBe(0);
    // Finished commands have no cancel button.
    await expect(row(page, "DeviceLocation").getByRole("button", { name: "Cancel" })).toHaveCount(0);
  });

  test("wipe needs the device name or serial number typed again", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(iphonePage);
    const wipe = await panel(page, "wipe");
    await expect(wipe.getByTestId("wipe-confirm-text")).toHaveText(["Hanako's iPhone", iphone.serial]);
    const confirm = wipe.getByLabel("To confirm, type the device name or serial number");
    await wipe.getByRole("button", { name: "Wipe device" }).click();
    await expect(wipe.getByTestId("form-error")).toContainText("does not match");
    await confirm.fill("Hanako's iPad");
    await wipe.getByRole("button", { name: "Wipe device" }).click();
    await expect(wipe.getByTestId("form-error")).toHaveText(`What you typed does not match. Type the device name or serial number exactly as shown: Hanako's iPhone / ${iphone.serial}`);
    await expect(row(page, "EraseDevice")).toHaveCount(0);
    await wipe.scrollIntoViewIfNeeded();
    await shot(page, "iphone-wipe-refused", false);
    await confirm.fill(iphone.serial.toLowerCase());
    await wipe.getByRole("button", { name: "Wipe device" }).click();
    await expect(wipe.getByTestId("form-message")).toHaveText("Wipe sent. The device erases all its data when it next connects.");
    expect(await iphone.connect()).toBe(1);
    expect(iphone.wiped).toBe(true);
    await page.reload();
    await expect(page.getByTestId("device-status")).toHaveText("Wiped");
    await expect(page.getByTestId("not-managed")).toContainText("has been wiped");
    await expect(page.getByText("No actions: the device is no longer managed.")).toBeVisible();
    await expect(page.locator("[data-testid^=panel-]")).toHaveCount(0);
  });

  test("rename: the Mac takes the new name, and the page shows it once the Mac confirms", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(macPage);
    const rename = await panel(page, "rename");
    const field = rename.getByLabel("New name");
    await expect(field).toHaveValue("Hanako's MacBook Pro");
    await field.fill("  経理部 花子の MacBook Pro ");
    await rename.getByRole("button", { name: "Rename device" }).click();
    await expect(rename.getByTestId("form-message")).toHaveText("Rename to “経理部 花子の MacBook Pro” sent. The new name appears here once the device confirms it.");
    // Until the Mac answers, the page keeps the name it knows.
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Hanako's MacBook Pro");
    await expect(page.getByTestId("live-refresh")).toHaveAttribute("data-pending", "true");
    await expect(row(page, "Settings")).toHaveAttribute("data-status", "QUEUED");
    expect(await mac.connect()).toBe(1);
    expect(mac.name).toBe("経理部 花子の MacBook Pro");
    // No reload: the page follows the command to its answer by itself, and the field the admin
    // opened stays open.
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("経理部 花子の MacBook Pro");
    await expect(page.getByTestId("live-refresh")).toHaveAttribute("data-pending", "false");
    await expect(page.getByTestId("panel-rename")).toHaveAttribute("open", "");
    await expect(row(page, "Settings")).toHaveAttribute("data-status", "ACKNOWLEDGED");
    await expect(row(page, "Settings")).toContainText("Rename");
    await expect(page.getByTestId("device-audit")).toContainText("Device renamed");
  });

  test("retire needs a tick, and the Mac leaves management", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(macPage);
    const retire = await panel(page, "retire");
    await retire.getByRole("button", { name: "Retire device" }).click();
    await expect(retire.getByTestId("form-error")).toHaveText("Tick the box to confirm.");
    await expect(row(page, "RemoveProfile")).toHaveCount(0);
    await retire.getByLabel("I understand that Mamori will no longer manage this device.").check();
    await retire.getByRole("button", { name: "Retire device" }).click();
    await expect(retire.getByTestId("form-message")).toHaveText("Retire sent. The device leaves management when it next connects.");
    expect(await mac.connect()).toBe(1);
    expect(mac.retired).toBe(true);
    await page.reload();
    await expect(page.getByTestId("device-status")).toHaveText("Retired");
    // Removing its enrollment profile unenrolls the device: it checks out instead of answering,
    // and the check-out closes the command.
    await expect(row(page, "RemoveProfile")).toHaveAttribute("data-status", "ACKNOWLEDGED");
    await expect(page.getByTestId("device-audit")).toContainText("Device removed management");
    await expect(page.getByTestId("device-audit")).toContainText("Device retired");
    await expect(page.getByTestId("device-audit")).toContainText("Device locked");
    await shot(page, "mac-retired");
  });

  test("the history and audit events tell the whole story, newest first", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(iphonePage);
    const rows = page.getByTestId("command-row");
    const seen = await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute("data-type")}:${tr.getAttribute("data-status")}`));
    expect(seen).toEqual([
      "EraseDevice:ACKNOWLEDGED",
      "PlayLostModeSound:CANCELLED",
      "DeviceLocation:ACKNOWLEDGED",
      "EnableLostMode:ACKNOWLEDGED",
      "CertificateList:ACKNOWLEDGED",
      "ProfileList:ACKNOWLEDGED",
      "InstalledApplicationList:ACKNOWLEDGED",
      "SecurityInfo:ACKNOWLEDGED",
      "DeviceInformation:ACKNOWLEDGED",
      "SecurityInfo:ACKNOWLEDGED",
      "DeviceInformation:ACKNOWLEDGED",
    ]);
    await expect(row(page, "DeviceInformation").last()).toContainText("system");
    await expect(row(page, "EraseDevice")).toContainText(ADMIN.email);
    const audit = page.getByTestId("device-audit").getByTestId("audit-row");
    const actions = await audit.evaluateAll((trs) => trs.map((tr) => tr.children[2]!.textContent));
    expect(actions.slice(0, 4)).toEqual(["Device wiped", "Command queued", "Command cancelled", "Sound played on device"]);
    for (const a of ["Device location requested", "Lost mode turned on", "Device information requested", "Device enrolled", "Device authenticated"]) expect(actions).toContain(a);
    await expect(audit.first()).toContainText(ADMIN.email);
    await shot(page, "iphone-wiped");
  });
});
