import { randomUUID } from "node:crypto";
import { expect, test, type Browser } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { forgetDevices, signedIn } from "./helpers";

// Every page an admin or an end user opens, in both languages: no raw enum value (ACTIVE,
// NOT_NOW, END_USER…) and no untranslated catalog key reaches the screen. Each device state,
// platform, command state and role is on some page here, through a device of every kind.

const ADMIN = { email: "labels-admin@example.jp", password: "labels-spec-admin" };
const OWNER = { email: "labels-owner@example.jp", password: "labels-spec-owner" };

/** Our enums as they are stored; a person must see a label instead. */
const RAW = /\b(?:ENROLLING|ACTIVE|INACTIVE|RETIRED|WIPED|IOS|MACOS|ANDROID_?|QUEUED|SENT|NOT_NOW|ACKNOWLEDGED|ERROR|CANCELLED|EXPIRED|END_USER|ADMIN|OUTBOX|SUCCESS|FAILURE|DENIED|RUNNING|COMPLETED|DEVICE_OWNER|PROFILE_OWNER|COMPANY_OWNED|PERSONALLY_OWNED)\b/;
/** A catalog key the translator could not find comes back as itself: "section.key" or deeper. */
const KEY = /\b(?:app|common|nav|errors|dashboard|audit|users|portal|devices|deviceDetail|settings|checklist|myDevice|myDevices|myEnroll|myCertificates|jobs|android|privacy|groups|account|enrollment|configurations|certificates|pushCert|ade|licenses|directory|usersAdmin)\.[a-zA-Z]+(?:\.[a-zA-Z_]+)*\b/;

const udids = { ios: `LABELS-I-${randomUUID()}`, mac: `LABELS-M-${randomUUID()}`, android: `LABELS-A-${randomUUID()}`, wiped: `LABELS-W-${randomUUID()}` };

/** A label each language must show somewhere: proof the pages were read with data on them. */
const EXPECTED = { en: ["Device busy", "Wiped"], ja: ["デバイス使用中", "ワイプ済み"] };

async function visit(browser: Browser, who: { email: string; password: string }, landing: RegExp, locale: "en" | "ja", paths: string[], expected: string[] = []) {
  const context = await signedIn(browser, who, landing);
  await context.addCookies([{ name: "mamori_locale", value: locale, url: test.info().project.use.baseURL! }]);
  const page = await context.newPage();
  const problems: string[] = [];
  let all = "";
  for (const path of paths) {
    const res = await page.goto(path);
    expect(res!.status(), path).toBeLessThan(400);
    // Every collapsed panel open, so its text is read too.
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
    const text = await page.locator("body").innerText();
    all += text;
    for (const [name, re] of [["raw value", RAW], ["catalog key", KEY]] as const) {
      const m = re.exec(text.replace(/\b[0-9A-F]{8}-[0-9A-F-]{27}\b|LABELS-[A-Z]-\S+/g, ""));
      if (m) problems.push(`${locale} ${path}: ${name} "${m[0]}" in "…${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, " ")}…"`);
    }
  }
  await context.close();
  for (const label of expected) if (!all.includes(label)) problems.push(`${locale}: "${label}" shown nowhere`);
  return problems;
}

test.describe.serial("labels, not raw values", () => {
  test.describe.configure({ timeout: 240_000 });
  const ids: Record<string, string> = {};

  test.beforeAll(async () => {
    await createAdmin(ADMIN.email, ADMIN.password, "Labels Admin");
    await createEndUser(OWNER.email, OWNER.password, "Labels Owner");
    const [owner] = await sql<{ id: string }>("SELECT id FROM users WHERE email = $1", [OWNER.email]);
    const device = async (key: keyof typeof udids, platform: string, status: string, extra = "") => {
      const [d] = await sql<{ id: string }>(
        `INSERT INTO devices (id, udid, platform, status, owner_id, name, serial_number, os_version, updated_at ${extra ? ", android_management_mode, android_ownership" : ""})
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, '18.1', now() ${extra}) RETURNING id`,
        [udids[key], platform, status, owner!.id, `Labels ${key}`, `SER${key.toUpperCase()}`],
      );
      ids[key] = d!.id;
    };
    await device("ios", "IOS", "ACTIVE");
    await device("mac", "MACOS", "INACTIVE");
    await device("android", "ANDROID", "ACTIVE", ", 'DEVICE_OWNER', 'COMPANY_OWNED'");
    await device("wiped", "IOS", "WIPED");
    // A command in every state on the iPhone's history.
    for (const status of ["QUEUED", "SENT", "NOT_NOW", "ACKNOWLEDGED", "ERROR", "CANCELLED", "EXPIRED"]) {
      await sql(
        `INSERT INTO commands (id, device_id, request_type, payload, status, queued_by_label, expires_at, error_chain)
         VALUES (gen_random_uuid(), $1, 'DeviceLock', '{"RequestType":"DeviceLock"}', $2, 'labels', now() + interval '1 day', $3)`,
        [ids.ios, status, status === "ERROR" ? JSON.stringify([{ code: 12021, domain: "MCMDMErrorDomain", description: "Refused by the device" }]) : null],
      );
    }
  });

  test.afterAll(async () => {
    await forgetDevices(Object.values(udids));
  });

  for (const locale of ["en", "ja"] as const) {
    test(`admin pages in ${locale}`, async ({ browser }) => {
      const [owner] = await sql<{ id: string }>("SELECT id FROM users WHERE email = $1", [OWNER.email]);
      const paths = [
        "/admin", "/admin/setup-status", "/admin/devices", `/admin/devices?q=LABELS`, `/admin/devices/${ids.ios}`, `/admin/devices/${ids.mac}`, `/admin/devices/${ids.android}`, `/admin/devices/${ids.wiped}`,
        "/admin/users", `/admin/users/${owner!.id}`, "/admin/users/settings", "/admin/groups", "/admin/privacy", "/admin/enrollment", "/admin/audit",
        "/admin/jobs", "/admin/settings", "/admin/certificates", "/admin/certificates/push", "/admin/certificates/ade", "/admin/configurations", "/admin/android", "/admin/directory",
      ];
      expect(await visit(browser, ADMIN, /\/admin$/, locale, paths, EXPECTED[locale])).toEqual([]);
    });

    test(`portal pages in ${locale}`, async ({ browser }) => {
      const paths = ["/my", `/my/devices/${ids.ios}`, `/my/devices/${ids.mac}`, `/my/devices/${ids.android}`, `/my/devices/${ids.wiped}`, "/my/account", "/my/enroll", "/my/certificates"];
      expect(await visit(browser, OWNER, /\/my$/, locale, paths)).toEqual([]);
    });
  }
});
