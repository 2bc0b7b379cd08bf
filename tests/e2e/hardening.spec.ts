import { expect, test } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signIn } from "./helpers";

// Browser hardening over real HTTP: security headers, no Referer from one-time links, HSTS only
// behind https, cookie flags, and mutations from another site refused.

const ADMIN = { email: "hardening-admin@example.jp", password: "hardening admin password" };
const END_USER = { email: "hardening-user@example.jp", password: "hardening user password" };

const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1];

test("every page carries the security headers; one-time links send no Referer", async ({ request }) => {
  for (const path of ["/login", "/go", "/api/health"]) {
    const h = (await request.get(path)).headers();
    expect(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"], path).toContain("object-src 'none'");
    expect(h["x-frame-options"], path).toBe("DENY");
    expect(h["x-content-type-options"], path).toBe("nosniff");
    expect(h["permissions-policy"], path).toContain("camera=()");
    expect(h["x-powered-by"], path).toBeUndefined();
  }
  expect((await request.get("/login")).headers()["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect((await request.get("/go")).headers()["referrer-policy"]).toBe("no-referrer");
  expect((await request.get("/enroll/profile/abc")).headers()["referrer-policy"]).toBe("no-referrer");
});

test("no HSTS over plain http, even when an untrusted client claims https", async ({ request }) => {
  // This server has no trusted proxy (MAMORI_TRUSTED_PROXIES unset): scripts/server.mjs resets
  // X-Forwarded-Proto, so only a real TLS proxy in front turns HSTS on.
  expect((await request.get("/login")).headers()["strict-transport-security"]).toBeUndefined();
  const spoofed = await request.get("/login", { headers: { "x-forwarded-proto": "https" } });
  expect(spoofed.headers()["strict-transport-security"]).toBeUndefined();
});

test("the session cookie is httpOnly and SameSite=Lax", async ({ page, context }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await signIn(page, ADMIN.email, ADMIN.password);
  const session = (await context.cookies()).find((c) => c.name.includes("authjs.session-token"));
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });
});

test("a mutation from another site is refused and audited; the same site is not", async ({ request, baseURL }) => {
  const before = await sql(`SELECT 1 FROM audit_events WHERE details->>'reason' = 'crossOrigin'`);
  const evil = await request.post("/go/profile", { headers: { origin: "https://evil.example", "accept-language": "en" }, form: { platform: "ios" } });
  expect(evil.status()).toBe(403);
  expect(await evil.json()).toMatchObject({ error: { code: "crossOrigin", message: expect.stringContaining("another site") } });
  const blind = await request.post("/go/profile", { headers: { "sec-fetch-site": "cross-site" }, form: { platform: "ios" } });
  expect(blind.status()).toBe(403);
  expect(await sql(`SELECT 1 FROM audit_events WHERE details->>'reason' = 'crossOrigin'`)).toHaveLength(before.length + 2);
  for (const headers of [{ origin: new URL(baseURL!).origin }, { origin: "null", "sec-fetch-site": "same-origin" }] as Record<string, string>[]) {
    // "null": the form on a no-referrer page (/go) posting to its own site.
    const same = await request.post("/go/profile", { headers, form: { platform: "ios" }, maxRedirects: 0 });
    expect(same.status()).not.toBe(403);
    expect(same.status()).toBeLessThan(500);
  }
});

test("every page gets a fresh script nonce, and only Next's own tags carry it", async ({ request }) => {
  const seen = new Set<string>();
  for (const path of ["/login", "/login", "/go", "/setup"]) {
    const res = await request.get(path);
    const csp = res.headers()["content-security-policy"]!;
    const nonce = nonceOf(csp);
    expect(nonce, path).toMatch(/^[A-Za-z0-9+/=]{16,}$/);
    expect(seen.has(nonce!), `${path}: nonce reused`).toBe(false);
    seen.add(nonce!);
    expect(csp).toContain(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).toContain(`style-src 'self' 'nonce-${nonce}'`);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length, path).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
    // Style attributes would need 'unsafe-inline': none is rendered.
    expect(html, path).not.toMatch(/<[a-z][^>]*\sstyle="/);
  }
});

test("admin and portal pages run their scripts under the policy without a violation", async ({ browser }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await createEndUser(END_USER.email, END_USER.password, "Hardening User");
  const violations: string[] = [];
  for (const [who, landing, paths] of [
    [ADMIN, /\/admin$/, ["/admin", "/admin/devices", "/admin/users", "/admin/audit", "/admin/settings", "/admin/certificates", "/admin/certificates/push", "/admin/enrollment", "/admin/jobs", "/admin/android"]],
    [END_USER, /\/my$/, ["/my", "/my/enroll", "/my/certificates", "/my/account"]],
  ] as const) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.on("console", (m) => m.text().includes("Content Security Policy") && violations.push(`${page.url()}: ${m.text()}`));
    await signIn(page, who.email, who.password, landing);
    for (const path of paths) {
      const res = await page.goto(path);
      if (res?.status() === 404) continue; // a page this version does not have
      // Next's client runtime ran (it sets window.next): the nonce let its scripts in.
      await expect.poll(() => page.evaluate(() => Boolean((window as unknown as { next?: unknown }).next)), { message: path }).toBe(true);
    }
    await ctx.close();
  }
  expect(violations).toEqual([]);
});

test("device answers made before Next.js carry the hardening headers too", async ({ request }) => {
  const res = await request.put("/api/mdm/checkin", { data: "not a plist", headers: { "content-type": "application/x-apple-aspen-mdm-checkin" } });
  expect(res.status()).toBe(400);
  const h = res.headers();
  expect(h["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["x-frame-options"]).toBe("DENY");
  const malformed = await request.get("/admin/devices/%ff");
  expect(malformed.status()).toBe(400);
  expect(malformed.headers()["x-content-type-options"]).toBe("nosniff");
});

test("icons and the web manifest reach a signed-out visitor; every page links them", async ({ request, page }) => {
  for (const [path, type] of [["/favicon.ico", /image\/(x-icon|vnd\.microsoft\.icon)/], ["/icon.svg", /image\/svg\+xml/], ["/apple-touch-icon.png", /image\/png/], ["/icon-192.png", /image\/png/], ["/icon-512.png", /image\/png/], ["/manifest.webmanifest", /application\/manifest\+json/]] as const) {
    const res = await request.get(path, { maxRedirects: 0 });
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"], path).toMatch(type);
  }
  const manifest = await (await request.get("/manifest.webmanifest")).json();
  expect(manifest).toMatchObject({ name: "Mamori", start_url: "/my", display: "standalone" });
  expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));
  await page.goto("/login");
  await expect(page.locator('head link[rel="manifest"]').first()).toHaveAttribute("href", "/manifest.webmanifest");
  await expect(page.locator('head link[rel="apple-touch-icon"]').first()).toHaveAttribute("href", "/apple-touch-icon.png");
  await expect(page.locator('head link[rel="icon"][type="image/svg+xml"]').first()).toHaveAttribute("href", "/icon.svg");
  await expect(page.locator('head meta[name="apple-mobile-web-app-title"]').first()).toHaveAttribute("content", "Mamori");
});
