import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signIn } from "./helpers";

// The admin device list: search, filters, sorting and paging in the URL, the CSV export, and
// bulk actions. Its devices are seeded straight into the table (one INSERT); every name holds
// "dlist" so the spec only sees its own devices whatever other specs enrolled.

const ADMIN = { email: "devicelist@example.jp", password: "device-list-admin-pass" };
const USER = { email: "devicelist-user@example.jp", password: "device-list-user-pass" };
const OWNERS = [
  { email: "dlist-yamada@example.jp", name: "山田 花子" },
  { email: "dlist-suzuki@example.jp", name: "鈴木 一郎" },
];
const DAY = 86_400_000;
const N = 60;
const OLD_TOPIC = "com.apple.mgmt.External.dlist-old-certificate";

type Seeded = {
  n: number; name: string; serial: string; platform: "IOS" | "MACOS" | "ANDROID"; status: string; os: string; owner: string | null;
  phone: string | null; supervised: boolean | null; daysAgo: number | null; oldTopic: boolean;
};

const devices: Seeded[] = Array.from({ length: N }, (_, k) => {
  const n = k + 1;
  const platform = n % 20 === 1 ? "ANDROID" : n % 3 === 0 ? "MACOS" : "IOS";
  const status = n <= 50 ? "ACTIVE" : n <= 55 ? "INACTIVE" : n <= 58 ? "ENROLLING" : n === 59 ? "RETIRED" : "WIPED";
  return {
    n,
    // One name a spreadsheet would run as a formula, with a quote and a comma to escape.
    name: n === 42 ? '=dlist-42 "quoted", name' : `dlist-${String(n).padStart(2, "0")} ${platform === "MACOS" ? "MacBook" : platform === "IOS" ? "iPhone" : "Pixel"}`,
    serial: `DLS${String(n).padStart(5, "0")}`,
    platform,
    status,
    os: platform === "ANDROID" ? "15" : platform === "MACOS" ? "15.1" : n % 2 ? "17.6" : "18.1",
    owner: n % 4 === 0 ? null : n % 4 === 1 ? OWNERS[0]!.email : OWNERS[1]!.email,
    phone: platform === "IOS" ? `+81 90-0000-${String(n).padStart(4, "0")}` : null,
    supervised: n % 5 === 1 ? null : n % 2 === 0,
    daysAgo: status === "ENROLLING" ? null : n,
    oldTopic: n === 7,
  };
});
const where = (p: (d: Seeded) => boolean) => devices.filter(p);

let activeTopic: string;
let ownCertificate = false;

async function seed() {
  await createAdmin(ADMIN.email, ADMIN.password);
  await createEndUser(USER.email, USER.password);
  for (const o of OWNERS) await createEndUser(o.email, "dlist-owner-password", o.name);
  const [active] = await sql<{ topic: string }>("SELECT topic FROM push_certificates WHERE status = 'ACTIVE'");
  activeTopic = active?.topic ?? "com.apple.mgmt.External.dlist-active";
  await sql(
    `INSERT INTO devices (id, udid, serial_number, name, platform, status, os_version, owner_id, phone_number, supervised, last_check_in_at, topic, updated_at)
     SELECT gen_random_uuid(), 'DLIST-' || d.serial, d.serial, d.name, d.platform::"Platform", d.status::"DeviceStatus", d.os,
            (SELECT id FROM users WHERE email = d.owner), d.phone, d.supervised,
            CASE WHEN d."daysAgo" IS NULL THEN NULL ELSE now() - d."daysAgo" * interval '1 day' + interval '1 hour' END,
            CASE WHEN d."oldTopic" THEN $2 ELSE $3 END, now()
     FROM json_to_recordset($1::json) AS d(serial text, name text, platform text, status text, os text, owner text, phone text, supervised boolean, "daysAgo" int, "oldTopic" boolean)`,
    [JSON.stringify(devices), OLD_TOPIC, activeTopic],
  );
}

async function cleanUp() {
  await sql("DELETE FROM devices WHERE serial_number LIKE 'DLS%'");
  if (ownCertificate) await sql("DELETE FROM push_certificates WHERE topic = $1", [activeTopic]);
}

const rows = (page: Page) => page.getByTestId("device-row");
const count = (page: Page, n: number) => expect(page.getByTestId("device-count")).toHaveText(`${n} devices`);
const list = (page: Page, query: string) => page.goto(`/admin/devices?${query}`);

/**
 * Uses the filter bar as an admin does: a list or a tick applies on choice, a typed field on
 * Enter; no Search button is pressed.
 */
async function filter(page: Page, set: (form: ReturnType<Page["getByTestId"]>) => Promise<unknown>) {
  const form = page.getByTestId("device-filters");
  // A choice made before the page's script runs is the browser's alone (a GET form applies it
  // only on submit): wait until the bar applies choices, as an admin sees the page settle.
  await expect(form).toHaveAttribute("data-ready", "1");
  const before = page.url();
  await set(form);
  const typing = await page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    return !!el && el.tagName === "INPUT" && ["search", "text", "number", "email"].includes(el.type);
  });
  if (typing) await page.keyboard.press("Enter");
  await page.waitForURL((u) => u.toString() !== before);
}

/** Opens "More filters" (owner, check-in, push certificate) unless a filter in use keeps it open. */
async function moreFilters(page: Page) {
  const more = page.getByTestId("more-filters");
  if (!(await more.evaluate((d) => (d as HTMLDetailsElement).open))) await more.locator("summary").click();
}

/** The first names of the spec's devices in the database's own order for `orderBy`. */
async function firstNames(orderBy: string, k = 3): Promise<string[]> {
  const r = await sql<{ name: string }>(`SELECT name FROM devices WHERE name LIKE '%dlist%' ORDER BY ${orderBy} LIMIT ${k}`);
  return r.map((x) => x.name);
}

async function shownNames(page: Page, k = 3): Promise<string[]> {
  await expect(rows(page).first()).toBeVisible();
  return (await rows(page).locator("td:nth-child(2)").allInnerTexts()).slice(0, k).map((s) => s.split("\n")[0]!.trim());
}

test.describe.serial("admin device list", () => {
  test.beforeAll(seed);
  test.afterAll(cleanUp);

  test("search, paging and back/forward through the URL", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/admin/devices");
    await filter(page, (f) => f.getByLabel(/^Search/).fill("dlist"));
    await expect(page).toHaveURL(/\?q=dlist$/);
    await count(page, N);
    await expect(rows(page)).toHaveCount(50);
    await expect(page.getByRole("navigation", { name: "pagination" })).toContainText("Page 1 of 2");
    await page.getByRole("link", { name: "Next" }).click();
    await expect(page).toHaveURL(/page=2/);
    await expect(rows(page)).toHaveCount(10);
    await page.goBack();
    await expect(rows(page)).toHaveCount(50);
    await page.goForward();
    await expect(rows(page)).toHaveCount(10);

    // Serial number, owner email, owner name, phone number.
    await list(page, "q=DLS00013");
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page)).toContainText("dlist-13 iPhone");
    await list(page, "q=dlist-yamada");
    await count(page, where((d) => d.owner === OWNERS[0]!.email).length);
    await list(page, `q=${encodeURIComponent("鈴木 一郎")}`);
    await count(page, where((d) => d.owner === OWNERS[1]!.email).length);
    await list(page, "q=0000-0034");
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page)).toContainText("dlist-34 iPhone");
    // LIKE wildcards are searched for literally.
    await list(page, "q=dlist%25_");
    await expect(page.getByText("No devices match.")).toBeVisible();
  });

  test("each filter", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await list(page, "q=dlist");
    await filter(page, (f) => f.getByLabel("Platform").selectOption({ label: "macOS" }));
    await expect(page).toHaveURL(/platform=MACOS/);
    await count(page, where((d) => d.platform === "MACOS").length);
    await filter(page, async (f) => {
      await f.getByLabel("Platform").selectOption({ label: "Any" });
      await f.getByLabel("Status").selectOption({ label: "Inactive" });
    });
    await count(page, where((d) => d.status === "INACTIVE").length);
    await filter(page, async (f) => {
      await f.getByLabel("Status").selectOption({ label: "Any" });
      await f.getByLabel("OS version").selectOption("17.6");
    });
    await count(page, where((d) => d.os === "17.6").length);
    await filter(page, (f) => f.getByLabel("OS version").selectOption({ label: "Any" }));
    await moreFilters(page);
    await filter(page, (f) => f.getByLabel("Owner (email address)").fill(OWNERS[1]!.email.toUpperCase()));
    await count(page, where((d) => d.owner === OWNERS[1]!.email).length);
    await filter(page, (f) => f.getByLabel("Owner (email address)").fill("none"));
    await count(page, where((d) => d.owner === null).length);
    await filter(page, async (f) => {
      await f.getByLabel("Owner (email address)").fill("");
      await f.getByLabel("Last check-in").selectOption({ label: "Older than (or never)" });
      await f.getByLabel("Days").fill("30");
    });
    await expect(page).toHaveURL(/checkIn=older&days=30/);
    await count(page, where((d) => d.daysAgo === null || d.daysAgo > 30).length);
    await filter(page, async (f) => {
      await f.getByLabel("Last check-in").selectOption({ label: "Within" });
      await f.getByLabel("Days").fill("10");
    });
    await count(page, where((d) => d.daysAgo !== null && d.daysAgo <= 10).length);
    await filter(page, async (f) => {
      await f.getByLabel("Last check-in").selectOption({ label: "Any" });
      await f.getByLabel("Supervised").selectOption({ label: "Yes" });
    });
    await count(page, where((d) => d.supervised === true).length);
    await filter(page, (f) => f.getByLabel("Supervised").selectOption({ label: "No" }));
    await count(page, where((d) => d.supervised !== true).length);

    // Push topic mismatch: needs an active certificate; make a stand-in when no other spec left one.
    const [cert] = await sql("SELECT 1 FROM push_certificates WHERE status = 'ACTIVE'");
    if (!cert) {
      ownCertificate = true;
      await sql(`INSERT INTO push_certificates (id, status, topic, subject, issuer, serial, not_before, not_after, fingerprint, cert_pem, apple_id, uploaded_by_label)
                 VALUES (gen_random_uuid(), 'ACTIVE', $1, 'CN=dlist', 'CN=dlist', '01', now(), now() + interval '1 year', 'dlist-fingerprint', 'none', 'it@example.jp', 'e2e')`, [activeTopic]);
    }
    try {
      await filter(page, async (f) => {
        await f.getByLabel("Supervised").selectOption({ label: "Any" });
        await f.getByLabel("Only devices enrolled with another push certificate").check();
      });
      await expect(page).toHaveURL(/mismatch=1/);
      await expect(rows(page)).toHaveCount(1);
      await expect(rows(page)).toContainText("dlist-07 iPhone");
      await expect(rows(page).getByTestId("unmanageable")).toBeVisible();
    } finally {
      if (ownCertificate) {
        await sql("DELETE FROM push_certificates WHERE topic = $1", [activeTopic]);
        ownCertificate = false;
      }
    }
    await page.getByRole("link", { name: "Clear filters" }).click();
    await expect(page).toHaveURL(/\/admin\/devices$/);
  });

  test("sorting by name, status, OS and last check-in, both ways", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await list(page, "q=dlist");
    // Default: last check-in, newest first, "never" last.
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("last_check_in_at DESC NULLS LAST, id DESC"));
    const header = (name: string) => page.getByRole("columnheader", { name, exact: true }).getByRole("link");
    await header("Name").click();
    await expect(page).toHaveURL(/sort=name&dir=asc/);
    await expect(page.getByRole("columnheader", { name: "Name", exact: true })).toHaveAttribute("aria-sort", "ascending");
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("name ASC, id ASC"));
    await header("Name").click();
    await expect(page).toHaveURL(/sort=name&dir=desc/);
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("name DESC, id DESC"));
    await header("Status").click();
    await expect(page).toHaveURL(/sort=status&dir=asc/);
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("status ASC, id ASC"));
    await header("OS").click();
    await expect(page).toHaveURL(/sort=os&dir=asc/);
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("os_version ASC, id ASC"));
    await header("OS").click();
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("os_version DESC, id DESC"));
    await header("Last check-in").click();
    await expect(page).toHaveURL(/sort=lastCheckIn&dir=desc/);
    await header("Last check-in").click();
    await expect(page).toHaveURL(/sort=lastCheckIn&dir=asc/);
    // Oldest first: the devices that never checked in lead.
    await expect.poll(() => shownNames(page)).toEqual(await firstNames("last_check_in_at ASC NULLS FIRST, id ASC"));
    // A filter keeps the sort, and paging keeps both.
    await filter(page, (f) => f.getByLabel("Platform").selectOption({ label: "iOS / iPadOS" }));
    await expect(page).toHaveURL(/sort=lastCheckIn&dir=asc/);
    await page.goBack();
    await expect(page).toHaveURL(/sort=lastCheckIn&dir=asc$/);
  });

  test("CSV of the filtered set: BOM, localized headers, quoting, formulas defused, audited", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await list(page, "q=dlist&platform=MACOS");
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV" }).click()]);
    expect(dl.suggestedFilename()).toMatch(/^mamori-devices-\d{8}\.csv$/);
    const bytes = readFileSync((await dl.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString("utf8").slice(1);
    const lines = text.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toMatch(/^Name,Serial number,Platform,Model,OS,Status,Owner name,Owner email,Phone number,Supervised,Last check-in \(Asia\/Tokyo\),/);
    const macs = where((d) => d.platform === "MACOS");
    expect(lines.slice(1, -1)).toHaveLength(macs.length);
    expect(lines.slice(1, -1).map((l) => /DLS\d{5}/.exec(l)![0]).sort()).toEqual(macs.map((d) => d.serial).sort());
    expect(text).toContain(`"'=dlist-42 ""quoted"", name",DLS00042,macOS,`);
    expect(lines.find((l) => l.includes("DLS00003"))).toContain(`dlist-03 MacBook,DLS00003,macOS,,15.1,Active,鈴木 一郎,${OWNERS[1]!.email},,No,`);
    const [audit] = await sql<{ details: { filter: Record<string, string>; matching: number } }>(
      "SELECT details FROM audit_events WHERE action = 'device.export' AND actor_label = $1 ORDER BY id DESC LIMIT 1", [ADMIN.email]);
    expect(audit!.details).toEqual({ filter: { q: "dlist", platform: "MACOS" }, matching: macs.length });

    // Headers follow the admin's language; a phone number starting with + is defused too.
    await page.context().addCookies([{ name: "mamori_locale", value: "ja", url: page.url() }]);
    const ja = await page.request.get("/api/admin/devices/export?q=DLS00034");
    const jaText = (await ja.text()).replace(/^\uFEFF/, "");
    expect(jaText.split("\r\n")[0]).toMatch(/^名前,シリアル番号,プラットフォーム,機種,OS,状態,所有者名,/);
    expect(jaText).toContain(",'+81 90-0000-0034,");
    await page.context().addCookies([{ name: "mamori_locale", value: "en", url: page.url() }]);
    expect((await page.request.get("/api/admin/devices/export?status=BROKEN")).status()).toBe(400);
  });

  test("bulk refresh on selected rows, and a lock on all matching with Macs refused", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await list(page, "q=dlist&status=ACTIVE&platform=IOS&sort=name&dir=asc");
    const panel = page.getByTestId("bulk-panel");
    // Nothing selected, nothing to run: no panel.
    await expect(rows(page).first()).toBeVisible();
    await expect(panel).toHaveCount(0);
    await rows(page).nth(0).getByTestId("row-select").check();
    await expect(panel.getByTestId("bulk-limit")).toHaveText("A bulk action works on at most 100,000 devices.");
    await rows(page).nth(1).getByTestId("row-select").check();
    await expect(panel.getByTestId("selected-count")).toHaveText("2 selected");
    const chosen = await shownNames(page, 2);
    await panel.getByRole("button", { name: "Run on 2 devices" }).click();
    // Queued, not done: the pushes run as a job whose progress shows under the form.
    await expect(panel.getByTestId("form-message")).toHaveText("Refresh information: queued for 2 of 2 devices. The devices are being notified.");
    await expect(panel.getByRole("progressbar", { name: "Notify devices" })).toBeVisible();
    await expect(panel.getByTestId("job-status")).toHaveText("Done");
    // A success starts again from nothing selected.
    await expect(panel.getByTestId("selected-count")).toHaveText("0 selected");
    const queued = await sql<{ name: string; n: string }>(
      `SELECT d.name, count(*) AS n FROM commands c JOIN devices d ON d.id = c.device_id WHERE d.name = ANY($1) GROUP BY d.name ORDER BY d.name`, [chosen]);
    expect(queued).toEqual(chosen.sort().map((name) => ({ name, n: "5" })));
    // "Queued" is not "done": the panel follows what the devices answer, the rows show what waits.
    const outcome = panel.getByTestId("bulk-outcome");
    await expect(outcome.getByTestId("outcome-waiting")).toHaveText("Queued or sent: 2");
    await expect(outcome).toHaveAttribute("data-finished", "false");
    const chosenRows = rows(page).filter({ hasText: chosen[0]! });
    await expect(chosenRows.getByTestId("marker-pending")).toHaveText("5 queued");
    // The devices answer (one fails a command): panel and rows change without a reload.
    await sql(`UPDATE commands c SET status = 'ACKNOWLEDGED', responded_at = now() FROM devices d WHERE d.id = c.device_id AND d.name = $1`, [chosen[0]]);
    await sql(`UPDATE commands c SET status = CASE WHEN c.request_type = 'DeviceInformation' THEN 'ERROR'::"CommandStatus" ELSE 'ACKNOWLEDGED'::"CommandStatus" END, responded_at = now(),
                 error_chain = CASE WHEN c.request_type = 'DeviceInformation' THEN '[{"code": 12021, "domain": "MCMDMErrorDomain", "description": "The device is busy"}]'::jsonb END
               FROM devices d WHERE d.id = c.device_id AND d.name = $1`, [chosen[1]]);
    await expect(outcome).toHaveAttribute("data-finished", "true", { timeout: 15_000 });
    await expect(outcome.getByTestId("outcome-done")).toHaveText("Done: 1");
    await expect(outcome.getByTestId("outcome-failed")).toHaveText("Failed: 1");
    await expect(outcome.getByTestId("outcome-reasons")).toHaveText("The device is busy (MCMDMErrorDomain 12021) (1)");
    await expect(outcome.getByTestId("outcome-state")).toHaveText("Every device has answered.");
    await expect(chosenRows.getByTestId("marker-pending")).toHaveCount(0, { timeout: 20_000 });
    await expect(rows(page).filter({ hasText: chosen[1]! }).getByTestId("marker-failed")).toHaveText("1 failed this week", { timeout: 20_000 });
    // The run is listed under Jobs, reached from the admin navigation.
    await page.getByRole("navigation", { name: "Main navigation" }).getByRole("link", { name: "Jobs", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Jobs" })).toBeVisible();
    const latest = page.getByTestId("jobs-list").getByTestId("job-progress").first();
    await expect(latest).toContainText("Notify devices");
    await expect(latest.getByRole("progressbar")).toHaveAttribute("aria-valuemax", "2");

    // Select all on the page, then every device matching the filter (60, more than a page).
    await list(page, "q=dlist");
    await page.getByTestId("page-select").check();
    await expect(panel.getByTestId("selected-count")).toHaveText("50 selected");
    await panel.getByRole("button", { name: `Select all ${N} matching devices` }).click();
    await expect(panel.getByTestId("selected-count")).toHaveText(`All ${N} matching devices selected`);
    await panel.getByLabel("Action").selectOption({ label: "Lock" });
    await panel.getByLabel("Lock Screen message (optional)").fill("情報システム部に連絡してください");
    await panel.getByRole("button", { name: `Run on ${N} devices` }).click();
    // iPhones, and Android phones (through Google: their management mode is not known yet, and a lock needs none).
    const ok = where((d) => (d.platform === "IOS" || d.platform === "ANDROID") && d.status !== "RETIRED" && d.status !== "WIPED");
    const apple = where((d) => d.platform === "IOS" && d.status !== "RETIRED" && d.status !== "WIPED");
    const message = panel.getByTestId("form-message");
    await expect(message).toContainText(`Lock: queued for ${ok.length} of ${N} devices.`);
    await expect(message).toContainText(`Refused (${N - ok.length}):`);
    const macs = where((d) => d.platform === "MACOS" && d.status !== "WIPED");
    await expect(message).toContainText(`Enter a six-digit PIN. It is needed to unlock the Mac afterwards. (${macs.length}):`);
    await expect(message).not.toContainText("Android");
    await expect(message).toContainText("This device is no longer managed (retired or wiped). (2)");
    const [bulk] = await sql<{ details: Record<string, unknown>; result: string }>(
      "SELECT details, result FROM audit_events WHERE action = 'device.bulk' ORDER BY id DESC LIMIT 1");
    // One event for the whole run, with what was queued.
    expect(bulk!.details).toMatchObject({ action: "lock", scope: "filter", filter: { q: "dlist" }, devices: N, queued: ok.length, commandsQueued: apple.length, android: { queued: ok.length - apple.length }, commands: ["DeviceLock"], message: "情報システム部に連絡してください" });
  });

  test("bulk wipe: a wrong typed count is refused and nothing is queued, the right one wipes", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await list(page, "q=dlist&platform=IOS&status=INACTIVE");
    const panel = page.getByTestId("bulk-panel");
    await page.getByTestId("page-select").check();
    const n = where((d) => d.platform === "IOS" && d.status === "INACTIVE").length;
    await expect(panel.getByTestId("selected-count")).toHaveText(`${n} selected`);
    await panel.getByLabel("Action").selectOption({ label: "Wipe" });
    const confirm = panel.getByLabel(`Type ${n} to confirm`);
    await confirm.fill(String(n + 10));
    await panel.getByRole("button", { name: `Run on ${n} devices` }).click();
    await expect(panel.getByTestId("form-error")).toHaveText(`To confirm, type ${n}: the number of devices this acts on.`);
    const erases = () => sql("SELECT 1 FROM commands c JOIN devices d ON d.id = c.device_id WHERE c.request_type = 'EraseDevice' AND d.serial_number LIKE 'DLS%'");
    expect(await erases()).toHaveLength(0);
    // Full-width digits, as a Japanese IME types them, count too.
    await confirm.fill(String(n).replace(/\d/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)));
    await panel.getByRole("button", { name: `Run on ${n} devices` }).click();
    await expect(panel.getByTestId("form-message")).toHaveText(`Wipe: queued for ${n} of ${n} devices. The devices are being notified.`);
    expect(await erases()).toHaveLength(n);
  });

  test("columns chosen per admin, page sizes, folded search", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await list(page, "q=dlist");
    const headers = () => page.getByTestId("device-table").locator("thead th").allInnerTexts();
    await expect.poll(async () => (await headers()).map((h) => h.replace(/[▲▼↕]/g, "").trim())).toEqual(["", "Name", "Platform", "Status", "Owner", "OS", "Serial number", "Last check-in"]);
    // Nothing ticked is refused, and nothing changes.
    const columns = page.getByTestId("columns");
    await columns.locator("summary").click();
    for (const box of await columns.getByRole("checkbox").all()) await box.uncheck();
    await columns.getByRole("button", { name: "Save columns" }).click();
    await expect(columns.getByTestId("form-error")).toHaveText("Choose at least one column.");
    // Model in, serial number and platform out: kept on the account, so another browser sees it too.
    for (const label of ["Status", "Owner", "Model", "OS", "Last check-in"]) await columns.getByLabel(label, { exact: true }).check();
    await columns.getByRole("button", { name: "Save columns" }).click();
    await expect(columns.getByTestId("form-message")).toHaveText("Columns saved.");
    await expect.poll(async () => (await headers()).map((h) => h.replace(/[▲▼↕]/g, "").trim())).toEqual(["", "Name", "Status", "Owner", "Model", "OS", "Last check-in"]);
    const [saved] = await sql<{ device_columns: string[] }>("SELECT device_columns FROM users WHERE email = $1", [ADMIN.email]);
    expect(saved!.device_columns).toEqual(["status", "owner", "model", "os", "lastCheckIn"]);
    const [audit] = await sql<{ details: unknown }>("SELECT details FROM audit_events WHERE action = 'user.deviceColumns' AND actor_label = $1 ORDER BY id DESC LIMIT 1", [ADMIN.email]);
    expect(audit!.details).toEqual({ columns: ["status", "owner", "model", "os", "lastCheckIn"] });
    await sql("UPDATE users SET device_columns = '{}' WHERE email = $1", [ADMIN.email]);

    // Rows per page: 25, kept in the URL with the filter; back to page 1.
    await list(page, "q=dlist&page=2");
    await page.getByTestId("page-size").selectOption("25");
    await expect(page).toHaveURL(/\?q=dlist&size=25$/);
    await expect(rows(page)).toHaveCount(25);
    await expect(page.getByRole("navigation", { name: "pagination" })).toContainText("Page 1 of 3");
    await page.getByRole("link", { name: "Next" }).click();
    await expect(page).toHaveURL(/size=25/);
    await page.getByTestId("page-size").selectOption("100");
    await expect(rows(page)).toHaveCount(N);

    // Full-width letters and digits as a Japanese IME types them.
    await list(page, "");
    await filter(page, (f) => f.getByLabel(/^Search/).fill("ＤＬＩＳＴ－１３"));
    await expect(rows(page)).toHaveCount(1);
    await expect(rows(page)).toContainText("dlist-13 iPhone");
  });

  test("in Japanese: the filter bar, markers and columns speak Japanese", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.context().addCookies([{ name: "mamori_locale", value: "ja", url: page.url() }]);
    await list(page, "q=dlist");
    await expect(page.getByTestId("more-filters").locator("summary")).toHaveText("その他の条件");
    await expect(page.getByTestId("columns").locator("summary")).toHaveText("表示する列");
    await expect(page.getByTestId("page-size")).toBeVisible();
    await expect(page.getByText("1 ページの行数")).toBeVisible();
    await page.context().addCookies([{ name: "mamori_locale", value: "en", url: page.url() }]);
  });

  test("end users get neither the export nor the list", async ({ page }) => {
    await signIn(page, USER.email, USER.password, /\/my$/);
    expect((await page.request.get("/api/admin/devices/export")).status()).toBe(403);
    const res = await page.goto("/admin/devices");
    expect(res!.status()).toBe(403);
  });
});
