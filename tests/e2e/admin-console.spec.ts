import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, sql } from "./db";
import { signIn } from "./helpers";

const ADMIN = { email: "console@example.jp", password: "console-admin-pass" };
const PREFIX = "e2e-console-";
const AUDITOR = "e2e-auditor@example.jp";
const EVIL = '=HYPERLINK("http://evil.example","x")';

// Devices of this spec's own (udid prefix), removed afterwards with the settings it changes,
// so that later specs see an unlimited, default Mamori.
const DEVICES: [platform: string, status: string, n: number][] = [
  ["IOS", "ACTIVE", 4],
  ["IOS", "ENROLLING", 1],
  ["IOS", "INACTIVE", 1],
  ["MACOS", "ACTIVE", 3],
  ["ANDROID", "ACTIVE", 1],
  ["IOS", "RETIRED", 1],
  ["MACOS", "WIPED", 1],
];

async function seed() {
  let i = 0;
  for (const [platform, status, n] of DEVICES) {
    for (let k = 0; k < n; k++, i++) {
      await sql(`INSERT INTO devices (id, udid, name, platform, status, updated_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, now())`, [`${PREFIX}${i}`, `Console ${platform} ${i}`, platform, status]);
    }
  }
  await sql(
    `INSERT INTO commands (id, device_id, request_type, payload, status, queued_by_label, expires_at, responded_at, error_chain)
     SELECT gen_random_uuid(), id, 'InstallProfile', '{}', 'ERROR', $2, now() + interval '1 day', now(), $3::jsonb FROM devices WHERE udid = $1`,
    [`${PREFIX}0`, ADMIN.email, JSON.stringify([{ code: 4001, domain: "MCInstallationErrorDomain", description: "The profile is not valid." }])],
  );
  const at = (iso: string) => new Date(iso).toISOString();
  const events = [
    // Tokyo wall clock in the comments.
    [at("2025-06-01T01:00:00Z"), AUDITOR, "settings.update", "SUCCESS", "setting", "licenses", "licenses"], // 6/1 10:00
    [at("2025-06-01T14:30:00Z"), AUDITOR, "device.lock", "DENIED", "device", "8d4e0000-0000-4000-8000-00000000e2e1", "経理部 iPad"], // 6/1 23:30
    [at("2025-06-02T00:00:00Z"), EVIL, "auth.login", "FAILURE", null, null, null], // 6/2 09:00
    [at("2025-06-03T03:00:00Z"), AUDITOR, "auth.login", "SUCCESS", null, null, null], // 6/3 12:00
  ];
  for (const [when, actor, action, result, type, id, label] of events) {
    await sql(`INSERT INTO audit_events (at, actor_label, action, result, target_type, target_id, target_label, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, '203.0.113.9')`, [when, actor, action, result, type, id, label]);
  }
}

async function cleanUp() {
  await sql(`DELETE FROM devices WHERE udid LIKE $1`, [`${PREFIX}%`]);
  await sql(`DELETE FROM settings WHERE key IN ('licenses', 'general', 'collection', 'devices')`);
}

async function managedCount(): Promise<number> {
  const [row] = await sql<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE status NOT IN ('RETIRED', 'WIPED')`);
  return Number(row!.n);
}

async function saveLicenses(page: Page, value: string) {
  await page.goto("/admin/settings");
  const form = page.getByTestId("licenses-form");
  await form.getByLabel("Contracted device licenses").fill(value);
  await form.getByRole("button", { name: "Save" }).click();
  return form;
}

test.describe.serial("admin console", () => {
  test.beforeAll(async () => {
    await createAdmin(ADMIN.email, ADMIN.password, "Console Admin");
    await cleanUp();
    await seed();
  });
  test.afterAll(cleanUp);

  test("the dashboard counts devices by status and by platform, and lists failed commands", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const byPlatform = await sql<{ platform: string; n: string }>(`SELECT platform, count(*) AS n FROM devices WHERE status NOT IN ('RETIRED', 'WIPED') GROUP BY platform`);
    for (const p of ["IOS", "MACOS", "ANDROID"]) {
      const n = byPlatform.find((r) => r.platform === p)?.n ?? "0";
      await expect(page.getByTestId(`platform-${p}`).locator("dd")).toHaveText(n);
    }
    // This spec's own devices are at least what it seeded: 5 iOS/iPadOS, 3 macOS, 1 Android under management.
    expect(Number(byPlatform.find((r) => r.platform === "IOS")!.n)).toBeGreaterThanOrEqual(6);
    const byStatus = await sql<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM devices GROUP BY status`);
    for (const s of ["ENROLLING", "ACTIVE", "INACTIVE", "WIPED", "RETIRED"]) {
      await expect(page.getByTestId(`status-${s}`).locator("dd")).toHaveText(byStatus.find((r) => r.status === s)?.n ?? "0");
    }
    const failed = page.getByTestId("failed-command-row").filter({ hasText: "InstallProfile" });
    await expect(failed).toContainText("The profile is not valid. (MCInstallationErrorDomain 4001)");
    await expect(failed).toContainText("Install profile");
    const [dev] = await sql<{ id: string }>(`SELECT id FROM devices WHERE udid = $1`, [`${PREFIX}0`]);
    await expect(failed.getByRole("link", { name: "Console IOS 0" })).toHaveAttribute("href", `/admin/devices/${dev!.id}`);
    await expect(page.getByTestId("license-count")).toHaveText(`${await managedCount()} / unlimited`);
  });

  test("dashboard charts: drawn, their numbers readable as text, each bar opens the filtered device list", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const charts = page.getByTestId("dashboard-charts");
    const titles = {
      status: "Devices by status", platform: "Managed devices by platform", os: "Managed devices by OS version",
      enrollments: "Devices enrolled per week (last 12 weeks, week starting)", failures: "Failed commands by type (last 30 days)", certificates: "Days left on certificates and tokens",
    };
    for (const [id, title] of Object.entries(titles)) {
      const chart = charts.getByTestId(`chart-${id}`);
      await expect(chart).toBeVisible();
      // A heading names each chart (and the figure); the canvas is hidden from assistive technology, the list of numbers is not.
      await expect(chart.getByRole("heading", { level: 3, name: title, exact: true })).toBeVisible();
      await expect(page.getByRole("figure", { name: title, exact: true })).toBeVisible();
      if (await chart.locator("canvas").count()) {
        await expect(chart.locator("[aria-hidden=true] canvas")).toHaveCount(1);
        await expect(chart.getByTestId("chart-values").locator("li").first()).toBeVisible();
      }
    }
    // Chart.js drew on the canvas (some pixel is not transparent).
    const status = charts.getByTestId("chart-status");
    await expect.poll(() => status.locator("canvas").evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) return true;
      return false;
    })).toBe(true);
    // The text alternative: the same numbers, each a link to the filtered list.
    const active = await sql<{ n: string }>(`SELECT count(*) AS n FROM devices WHERE status = 'ACTIVE'`);
    const row = status.getByTestId("chart-values").locator("li").filter({ has: page.getByRole("link", { name: "Active", exact: true }) });
    await expect(row).toContainText(Number(active[0]!.n).toLocaleString("en-US"));
    await row.getByRole("link", { name: "Active", exact: true }).click();
    await expect(page).toHaveURL(/\/admin\/devices\?status=ACTIVE$/);
    await expect(page.getByTestId("device-count")).toHaveText(`${Number(active[0]!.n).toLocaleString("en-US")} devices`);
    // Failed commands by type: InstallProfile failed on a device of this spec; its bar opens those devices.
    await page.goto("/admin");
    const failures = charts.getByTestId("chart-failures");
    // Command types by their label, as in the failed-commands table.
    await failures.getByRole("link", { name: "Install profile", exact: true }).click();
    await expect(page).toHaveURL(/failed=InstallProfile/);
    await expect(page.getByTestId("failed-filter")).toContainText("Devices where Install profile failed in the last 30 days");
    await expect(page.getByTestId("device-row").filter({ hasText: "Console IOS 0" })).toBeVisible();
    // A click on a bar itself navigates the same way.
    await page.goto("/admin");
    const canvas = charts.getByTestId("chart-platform").locator("canvas");
    await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => c.width)).toBeGreaterThan(0);
    const box = (await canvas.boundingBox())!;
    // Platform bars in enum order (iOS first): click low in the first third, where the iOS bar stands.
    const iosBar = await charts.getByTestId("chart-platform").getByTestId("chart-values").locator("li").filter({ hasText: "iOS / iPadOS" }).locator("span.tabular-nums").innerText();
    await canvas.click({ position: { x: box.width / 6 + 10, y: box.height - 30 } });
    // The bar counts managed devices only, and so does the list it opens.
    await expect(page).toHaveURL(/\/admin\/devices\?platform=IOS&managed=1$/);
    await expect(page.getByTestId("managed-filter")).toContainText("Managed devices only");
    await expect(page.getByTestId("device-count")).toHaveText(`${iosBar} devices`);
  });

  test("settings forms refuse bad values with a sentence, and save good ones", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/admin/settings");

    const general = page.getByTestId("general-form");
    await general.getByLabel("Public URL").fill("http://mdm.example.jp");
    await general.getByRole("button", { name: "Save" }).click();
    await expect(general.getByTestId("form-error")).toHaveText('"http://mdm.example.jp" must start with https://: devices connect only over HTTPS. http:// is allowed only for localhost.');
    await general.getByLabel("Public URL").fill("https://mdm.example.jp/mamori");
    await general.getByRole("button", { name: "Save" }).click();
    await expect(general.getByTestId("form-error")).toContainText("Enter only the scheme and host");
    await general.getByLabel("Public URL").fill("https://MDM.example.jp/");
    await general.getByRole("button", { name: "Save" }).click();
    await expect(general.getByTestId("form-message")).toHaveText("Settings saved.");

    const devices = page.getByTestId("devices-form");
    await expect(devices.getByLabel("Mark devices inactive after (days)")).toHaveValue("14");
    await devices.getByLabel("Mark devices inactive after (days)").fill("0");
    await devices.getByRole("button", { name: "Save" }).click();
    await expect(devices.getByTestId("form-error")).toHaveText("Enter a whole number of days from 1 to 365.");
    await devices.getByLabel("Mark devices inactive after (days)").fill("30");
    await devices.getByRole("button", { name: "Save" }).click();
    await expect(devices.getByTestId("form-message")).toHaveText("Settings saved.");

    const collection = page.getByTestId("collection-form");
    await expect(collection.getByLabel("Collect information automatically")).toBeChecked();
    await expect(collection.getByLabel("Collection interval (hours)")).toHaveValue("24");
    await collection.getByLabel("Collection interval (hours)").fill("200");
    await collection.getByRole("button", { name: "Save" }).click();
    await expect(collection.getByTestId("form-error")).toHaveText('"200" is not a valid interval. Enter a whole number of hours from 1 to 168.');
    await collection.getByLabel("Collect information automatically").uncheck();
    await collection.getByLabel("Collection interval (hours)").fill("12");
    await collection.getByRole("button", { name: "Save" }).click();
    await expect(collection.getByTestId("form-message")).toHaveText("Settings saved.");

    const licenses = page.getByTestId("licenses-form");
    await licenses.getByLabel("Contracted device licenses").fill("ten");
    await licenses.getByRole("button", { name: "Save" }).click();
    await expect(licenses.getByTestId("form-error")).toContainText('"ten" is not a valid number of licenses.');

    await page.reload();
    await expect(page.getByTestId("general-form").getByLabel("Public URL")).toHaveValue("https://mdm.example.jp");
    await expect(page.getByTestId("public-url-current")).toHaveText("In use now: https://mdm.example.jp");
    await expect(page.getByTestId("devices-form").getByLabel("Mark devices inactive after (days)")).toHaveValue("30");
    await expect(page.getByTestId("collection-form").getByLabel("Collect information automatically")).not.toBeChecked();
    await expect(page.getByTestId("collection-form").getByLabel("Collection interval (hours)")).toHaveValue("12");
    const rows = await sql<{ key: string; value: unknown }>(`SELECT key, value FROM settings WHERE key IN ('general', 'devices', 'collection', 'licenses') ORDER BY key`);
    expect(rows).toEqual([
      { key: "collection", value: { enabled: false, intervalHours: 12 } },
      { key: "devices", value: { inactiveAfterDays: 30 } },
      { key: "general", value: { publicUrl: "https://mdm.example.jp" } },
    ]);

    // Cleared again: links and profiles go back to the address the browser used.
    await page.getByTestId("general-form").getByLabel("Public URL").fill("");
    await page.getByTestId("general-form").getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("general-form").getByTestId("form-message")).toHaveText("Settings saved.");
    expect(await sql(`SELECT value FROM settings WHERE key = 'general'`)).toEqual([{ value: { publicUrl: null } }]);
    await expect(page.getByTestId("public-url-current")).toHaveText(/^In use now: http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("licenses: amber from 90%, red and a banner when used up, and no enrollment link then", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const used = await managedCount();
    expect(used).toBeGreaterThanOrEqual(9);

    // One left: 90% or more in use.
    let form = await saveLicenses(page, String(used + 1));
    await expect(form.getByTestId("form-message")).toHaveText("Settings saved.");
    await page.goto("/admin");
    await expect(page.getByTestId("license-card")).toHaveAttribute("data-level", "warning");
    await expect(page.getByTestId("license-count")).toHaveText(`${used} / ${used + 1}`);
    await expect(page.getByTestId("license-count")).toHaveClass(/text-amber-700/);
    await expect(page.getByTestId("license-warning")).toHaveText("Nearly used up: 1 left.");
    await expect(page.getByTestId("license-banner")).toHaveCount(0);

    // Two links would need two licenses.
    await page.goto("/admin/enrollment");
    const enroll = page.getByTestId("enrollment-form");
    await enroll.getByLabel("Number of links").fill("2");
    await enroll.getByRole("button", { name: "Create enrollment link" }).click();
    await expect(enroll.getByTestId("form-error")).toHaveText(`Device licenses left: 1 of ${used + 1}, not enough for 2 links. Create fewer links, or raise the number of licenses under Settings.`);

    // All in use.
    form = await saveLicenses(page, String(used));
    await expect(form.getByTestId("form-message")).toHaveText("Settings saved.");
    await page.goto("/admin");
    await expect(page.getByTestId("license-card")).toHaveAttribute("data-level", "full");
    await expect(page.getByTestId("license-count")).toHaveClass(/text-red-700/);
    await expect(page.getByTestId("license-banner")).toHaveText(`All ${used} device licenses are in use (${used} devices). New devices cannot be enrolled. Open`);
    await page.goto("/admin/audit");
    await expect(page.getByTestId("license-banner")).toBeVisible();

    const before = await sql(`SELECT 1 FROM enrollments`);
    await page.goto("/admin/enrollment");
    await page.getByTestId("enrollment-form").getByRole("button", { name: "Create enrollment link" }).click();
    await expect(page.getByTestId("enrollment-form").getByTestId("form-error")).toHaveText(
      `All ${used} device licenses are in use (${used} devices), so no enrollment link can be created. Retire devices that are no longer used, or raise the number of licenses under Settings.`,
    );
    expect(await sql(`SELECT 1 FROM enrollments`)).toHaveLength(before.length);
    // The refusal is on record, with its reason.
    const refusals = await sql(`SELECT details->>'reason' AS reason FROM audit_events WHERE action = 'enrollment.create' AND result = 'FAILURE' ORDER BY id DESC LIMIT 1`);
    expect(refusals[0]?.reason).toBe("licenses.limitReached");

    // In Japanese too.
    await page.getByRole("button", { name: "日本語" }).click();
    await expect(page.getByTestId("license-banner")).toContainText(`デバイスライセンス ${used} 件がすべて使用中です`);
    await page.getByTestId("enrollment-form").getByRole("button", { name: "登録用リンクを作成" }).click();
    await expect(page.getByTestId("enrollment-form").getByTestId("form-error")).toContainText("登録用リンクを作成できません");
    await page.getByRole("button", { name: "English" }).click();
    await expect(page.getByRole("heading", { name: "Enrollment", exact: true })).toBeVisible();

    // Unlimited again: the banner goes.
    form = await saveLicenses(page, "");
    await expect(form.getByTestId("form-message")).toHaveText("Settings saved.");
    await expect(page.getByTestId("license-usage")).toHaveText(`In use: ${used} (no limit)`);
    await expect(page.getByTestId("license-banner")).toHaveCount(0);
  });

  test("the audit log filters by actor, target, result and time, and exports the filtered set as CSV", async ({ page, browser }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/admin/audit");
    const filter = page.getByTestId("audit-filter");
    await filter.getByLabel("Who (email)").fill("e2e-auditor");
    await filter.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("audit-total")).toHaveText("3 events");
    await expect(page.getByTestId("audit-row")).toHaveCount(3);

    // 1 June in Tokyo, the admin's zone.
    await filter.getByLabel("From", { exact: true }).fill("2025-06-01T00:00");
    await filter.getByLabel("To", { exact: true }).fill("2025-06-01T23:59");
    await filter.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("audit-total")).toHaveText("2 events");
    await expect(page).toHaveURL(/from=2025-06-01T00%3A00/);

    await filter.getByLabel("Result").selectOption({ label: "Refused" });
    await filter.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("audit-row")).toHaveCount(1);
    await expect(page.getByTestId("audit-row")).toContainText("経理部 iPad");
    await filter.getByLabel("Result").selectOption("");
    await filter.getByLabel("Target type").selectOption({ label: "Setting" });
    await filter.getByLabel("Target (name or ID)").fill("licen");
    await filter.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("audit-row")).toHaveCount(1);
    await expect(page.getByTestId("audit-row")).toContainText("Settings changed");

    // Export what the actor and time filters select.
    await filter.getByLabel("Target type").selectOption("");
    await filter.getByLabel("Target (name or ID)").fill("");
    await filter.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByTestId("audit-total")).toHaveText("2 events");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export").click()]);
    expect(dl.suggestedFilename()).toMatch(/^mamori-audit-\d{12}\.csv$/);
    const bytes = readFileSync((await dl.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").split("\r\n").filter(Boolean);
    expect(lines[0]).toBe('Date and time (Asia/Tokyo),"Date and time (UTC, ISO 8601)",Who,Actor ID,Action code,What,Target type,Target ID,Target,Result,Address,User agent,Details');
    expect(lines.slice(1)).toEqual([
      "2025-06-01 23:30:00,2025-06-01T14:30:00.000Z,e2e-auditor@example.jp,,device.lock,Device locked,device,8d4e0000-0000-4000-8000-00000000e2e1,経理部 iPad,Refused,203.0.113.9,,",
      "2025-06-01 10:00:00,2025-06-01T01:00:00.000Z,e2e-auditor@example.jp,,settings.update,Settings changed,setting,licenses,licenses,Succeeded,203.0.113.9,,",
    ]);

    // A label that a spreadsheet would run as a formula is defused.
    await page.goto("/admin/audit?actor=HYPERLINK");
    await expect(page.getByTestId("audit-row")).toHaveCount(1);
    const [evil] = await Promise.all([page.waitForEvent("download"), page.getByTestId("audit-export").click()]);
    const csv = readFileSync((await evil.path())!, "utf8");
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csv).not.toContain(`,"=HYPERLINK`);

    // Exports are audited, with the filter used.
    const exports = await sql<{ details: { filter: Record<string, string> } }>(`SELECT details FROM audit_events WHERE action = 'audit.export' AND actor_label = $1 ORDER BY id`, [ADMIN.email]);
    expect(exports.map((e) => e.details.filter)).toEqual([{ actor: "e2e-auditor", from: "2025-06-01T00:00", to: "2025-06-01T23:59" }, { actor: "HYPERLINK" }]);
    await page.goto("/admin/audit?action=audit.export");
    await expect(page.getByTestId("audit-row").first()).toContainText("Audit log exported");

    // Only admins.
    const anonymous = await browser.newContext();
    expect((await anonymous.request.get("/api/admin/audit/export")).status()).toBe(401);
    await anonymous.close();
  });
});
