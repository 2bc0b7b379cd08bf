import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signedIn } from "./helpers";

// The console's face in both colour schemes and both languages: the dark scheme follows the
// system setting, every line of text on the main pages keeps readable contrast (WCAG AA) in
// both, Japanese never wraps inside a short word, and the screenshots in docs/screenshots are taken here (UPDATE_SCREENSHOTS=1 writes
// them there; otherwise to test-results, so a normal run leaves the checkout clean).

const ADMIN = { email: "face-admin@example.jp", password: "face admin password 1" };
const USER = { email: "face-user@example.jp", password: "face user password 1" };
const OUT = process.env.UPDATE_SCREENSHOTS ? "docs/screenshots" : "test-results/screenshots";
const PHONE = { width: 390, height: 844 };
const ids: Record<string, string> = {};

test.beforeAll(async () => {
  await createAdmin(ADMIN.email, ADMIN.password, "Face Admin");
  await createEndUser(USER.email, USER.password, "佐藤 花子");
  const fleet = [
    ["FACE-I1", "営業部 佐藤の iPhone", "IOS", "ACTIVE", "18.1", "iPhone 15", true],
    ["FACE-I2", "受付 iPad", "IOS", "INACTIVE", "17.6", "iPad (10th generation)", false],
    ["FACE-M1", "開発 MacBook Pro", "MACOS", "ACTIVE", "15.1", "MacBook Pro", null],
    ["FACE-A1", "倉庫 Pixel 8", "ANDROID", "ACTIVE", "15", "Pixel 8", null],
    ["FACE-I3", "返却済み iPhone", "IOS", "RETIRED", "16.7", "iPhone 12", false],
  ] as const;
  for (const [serial, name, platform, status, os, model, supervised] of fleet) {
    const [row] = await sql<{ id: string }>(
      `INSERT INTO devices (id, udid, serial_number, name, platform, status, os_version, model_name, supervised, owner_id, last_check_in_at, enrolled_at, updated_at)
       VALUES (gen_random_uuid(), $1, $1, $2, $3::"Platform", $4::"DeviceStatus", $5, $6, $7, (SELECT id FROM users WHERE email = $8), now() - interval '2 hours', now() - interval '20 days', now())
       ON CONFLICT (udid) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [serial, name, platform, status, os, model, supervised, USER.email],
    );
    ids[serial] = row!.id;
  }
  await sql(`INSERT INTO commands (id, device_id, request_type, payload, status, queued_by_label, expires_at, error_chain, created_at)
             VALUES (gen_random_uuid(), $1, 'DeviceLock', '{}', 'ERROR', 'face', now() + interval '1 day', '[{"code": 12021, "domain": "MCMDMErrorDomain", "description": "The device is busy"}]', now()),
                    (gen_random_uuid(), $1, 'DeviceInformation', '{}', 'QUEUED', 'face', now() + interval '1 day', NULL, now())`, [ids["FACE-I2"]]);
});

test.afterAll(async () => {
  await sql("DELETE FROM devices WHERE serial_number LIKE 'FACE-%'");
});

type Shot = { who: "admin" | "user"; path: () => string; name: string; phone?: boolean };
const PAGES: Shot[] = [
  { who: "admin", path: () => "/admin", name: "dashboard" },
  { who: "admin", path: () => "/admin/devices", name: "devices" },
  { who: "admin", path: () => `/admin/devices/${ids["FACE-I1"]}`, name: "device" },
  { who: "admin", path: () => "/admin/certificates/push", name: "push-certificate" },
  { who: "admin", path: () => "/admin/users", name: "users" },
  { who: "user", path: () => "/my", name: "portal", phone: true },
  { who: "user", path: () => `/my/devices/${ids["FACE-I1"]}`, name: "portal-device", phone: true },
];

/** Text nodes whose colour against what is painted behind them is below WCAG AA (4.5:1, 3:1 for large text). */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    // Any CSS colour (oklch included) to sRGB through the canvas, alpha kept.
    const rgba = (css: string): [number, number, number, number] => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = "#000";
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      return [d[0]!, d[1]!, d[2]!, d[3]! / 255];
    };
    const lum = ([r, g, b]: number[]) => {
      const c = [r!, g!, b!].map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
    };
    const background = (el: Element | null): number[] => {
      // The first opaque background up the tree; layers with alpha blended over it.
      const layers: [number, number, number, number][] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let out = [255, 255, 255];
      if (layers.length && layers[layers.length - 1]![3] < 1) out = matchMedia("(prefers-color-scheme: dark)").matches ? [0, 0, 0] : [255, 255, 255];
      for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0]! * (1 - a), g * a + out[1]! * (1 - a), b * a + out[2]! * (1 - a)];
      return out;
    };
    const problems: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim();
      const el = n.parentElement;
      if (!text || !el) continue;
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      if (style.visibility === "hidden" || style.display === "none" || box.width === 0 || box.height === 0 || el.closest("[hidden],[aria-hidden=true],svg,option")) continue;
      // Disabled controls are exempt from the contrast rule (WCAG 1.4.3).
      if (el.closest("button:disabled, fieldset:disabled, [aria-disabled=true]")) continue;
      const fg = rgba(style.color);
      const bg = background(el);
      const blended = [fg[0] * fg[3] + bg[0]! * (1 - fg[3]), fg[1] * fg[3] + bg[1]! * (1 - fg[3]), fg[2] * fg[3] + bg[2]! * (1 - fg[3])];
      const [hi, lo] = [lum(blended), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi! + 0.05) / (lo! + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) problems.push(`"${text.slice(0, 40)}" ${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg.map(Math.round).join(",")}))`);
    }
    return problems;
  });
}

/** Short Japanese words that wrapped across two lines anywhere on the page ("送信済/み"). */
const WORDS = ["プラットフォーム", "送信待ち", "送信済み", "取り消し済み", "デバイス使用中", "ダウンロード済み", "管理解除", "アクティブ", "非アクティブ", "最終チェックイン", "シリアル番号"];
async function brokenWords(page: Page): Promise<string[]> {
  return page.evaluate((words) => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent ?? "";
      for (const w of words) {
        for (let i = text.indexOf(w); i >= 0; i = text.indexOf(w, i + 1)) {
          const range = document.createRange();
          range.setStart(n, i);
          range.setEnd(n, i + w.length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size > 1) out.push(`${w} in "${text.trim().slice(0, 40)}"`);
        }
      }
    }
    return out;
  }, WORDS);
}

async function walk(browser: Browser, scheme: "light" | "dark", locale: "en" | "ja") {
  const contexts = {
    admin: await signedIn(browser, ADMIN, /\/admin$/),
    user: await signedIn(browser, USER, /\/my$/),
  };
  const problems: string[] = [];
  mkdirSync(OUT, { recursive: true });
  for (const shot of PAGES) {
    const context = contexts[shot.who];
    await context.addCookies([{ name: "mamori_locale", value: locale, url: test.info().project.use.baseURL! }]);
    const page = await context.newPage();
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize(shot.phone ? PHONE : { width: 1280, height: 900 });
    const res = await page.goto(shot.path());
    expect(res!.status(), shot.name).toBeLessThan(400);
    await page.waitForLoadState("networkidle");
    // The scheme really applies: the page's own background follows it.
    const bodyBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await page.evaluate((c) => {
      const ctx = Object.assign(document.createElement("canvas"), { width: 1, height: 1 }).getContext("2d")!;
      ctx.fillStyle = c;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
      return (r! + g! + b!) / 3 < 80;
    }, bodyBg);
    expect(dark, `${shot.name} ${scheme}: body ${bodyBg}`).toBe(scheme === "dark");
    problems.push(...(await lowContrast(page)).map((p) => `${scheme} ${locale} ${shot.name}: ${p}`));
    if (locale === "ja") problems.push(...(await brokenWords(page)).map((p) => `${scheme} ${shot.name}: broken word ${p}`));
    await page.screenshot({ path: path.join(OUT, `${shot.name}-${locale}-${scheme}.jpg`), type: "jpeg", quality: 70, fullPage: !shot.phone });
    await page.close();
  }
  await Promise.all(Object.values(contexts).map((c) => c.close()));
  return problems;
}

for (const scheme of ["light", "dark"] as const) {
  for (const locale of ["en", "ja"] as const) {
    test(`${scheme} scheme in ${locale}: readable contrast on every main page, screenshots taken`, async ({ browser }) => {
      expect(await walk(browser, scheme, locale)).toEqual([]);
    });
  }
}
