import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type BrowserContext } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signedIn } from "./helpers";

// The authorization matrix, generated from the route tree: every page and every route handler
// method, tried as anonymous, end user A, end user B and admin against the rule declared beside
// it (view.<rule>() / route.<rule>(); tests/unit/authorization-rules.test.ts makes sure each one
// declares one). Refusals answer as the rule says and leave a DENIED audit row. B tries A's ids.

type Rule = "public" | "user" | "endUser" | "admin" | "device";
type Visitor = "anonymous" | "endUserA" | "endUserB" | "admin";
const VISITORS: Visitor[] = ["anonymous", "endUserA", "endUserB", "admin"];
const A = { email: "authz-a@example.jp", password: "authz A password 1" };
const B = { email: "authz-b@example.jp", password: "authz B password 1" };
const ADMIN = { email: "authz-admin@example.jp", password: "authz admin password 1" };

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The URL path of a page or route file: route groups dropped, segments kept as [name]. */
const urlOf = (file: string) =>
  "/" + path.relative("app", path.dirname(file)).split(path.sep).filter((s) => s && !/^\(.*\)$/.test(s)).join("/");

const files = walk("app");
const pages = files.filter((f) => f.endsWith("/page.tsx")).map((f) => ({ url: urlOf(f), rule: /\bview\.(\w+)\(/.exec(readFileSync(f, "utf8"))![1] as Rule }));
const routes = files
  .filter((f) => f.endsWith("/route.ts"))
  .flatMap((f) => [...readFileSync(f, "utf8").matchAll(/^export const (\w+) = route\.(\w+)\(/gm)].map((m) => ({ url: urlOf(f), method: m[1]!, rule: m[2] as Rule })));

const ids: Record<string, string> = {};
const contexts = {} as Record<Visitor, BrowserContext>;

/** Fills [id] with the first user's own object where the path is about one, else a made-up id. */
function fill(url: string): string {
  if (url.includes("[...")) return url.replace(/\[\.\.\.\w+\]/, "session");
  if (/\/(my|api\/my)\/devices\/\[id\]/.test(url) || /\/admin\/devices\/\[id\]/.test(url)) return url.replace("[id]", ids.device!);
  if (/\/admin\/users\/\[id\]/.test(url)) return url.replace("[id]", ids.userA!);
  return url.replace(/\[\w+\]/g, randomUUID());
}

const denied = async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE result = 'DENIED'`))[0]!.n);

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await createEndUser(A.email, A.password, "Authz A");
  await createEndUser(B.email, B.password, "Authz B");
  ids.userA = (await sql<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [A.email]))[0]!.id;
  ids.device = (await sql<{ id: string }>(
    `INSERT INTO devices (id, udid, platform, status, owner_id, updated_at) VALUES (gen_random_uuid(), $1, 'IOS', 'ACTIVE', $2, now()) RETURNING id`,
    [`AUTHZ-${randomUUID()}`, ids.userA],
  ))[0]!.id;
  contexts.anonymous = await browser.newContext();
  contexts.endUserA = await signedIn(browser, A, /\/my$/);
  contexts.endUserB = await signedIn(browser, B, /\/my$/);
  contexts.admin = await signedIn(browser, ADMIN, /\/admin$/);
});

test.afterAll(async () => {
  for (const c of Object.values(contexts)) await c.close();
});

/** What a visitor may get from a page under a rule: "ok", "login" (sent to sign in), "403", "404". */
function expectedPage(rule: Rule, who: Visitor, url: string): "ok" | "login" | "403" | "404" {
  if (rule === "public") return "ok";
  if (who === "anonymous") return "login";
  if (rule === "admin") return who === "admin" ? "ok" : "403";
  if (rule === "endUser") {
    if (who === "admin") return "403";
    // B opens A's device: the same 404 as a made-up id, and an audited refusal.
    if (who === "endUserB" && url.includes(ids.device!)) return "404";
    return "ok";
  }
  return "ok";
}

test("the matrix covers every page and route handler", () => {
  expect(pages.length).toBeGreaterThan(30);
  expect(routes.length).toBeGreaterThan(15);
  expect(pages.map((p) => p.rule).filter((r) => !["public", "user", "endUser", "admin"].includes(r))).toEqual([]);
});

for (const who of VISITORS) {
  test(`every page as ${who}`, async () => {
    const page = await contexts[who].newPage();
    const wrong: string[] = [];
    for (const p of pages) {
      const url = fill(p.url);
      const want = expectedPage(p.rule, who, url);
      const before = await denied();
      const res = await page.goto(url);
      const status = res?.status() ?? 0;
      const landed = new URL(page.url()).pathname;
      const got = status >= 500 ? `${status}` : landed === "/login" && p.url !== "/login" ? "login" : status === 403 ? "403" : status === 404 ? "404" : "ok";
      // A made-up id under an allowed rule is a plain 404, not a refusal.
      const fine = got === want || (want === "ok" && got === "404" && /\[\w+\]/.test(p.url)) || (p.rule === "public" && got === "login");
      if (!fine) wrong.push(`${p.url} (${p.rule}) as ${who}: ${got}, expected ${want}`);
      // A signed-out visitor is sent to sign in (by proxy.ts, before any page runs): no identity, no audit row.
      if (want !== "ok" && want !== "login" && fine && (await denied()) <= before) wrong.push(`${p.url} (${p.rule}) as ${who}: refused without a DENIED audit row`);
    }
    await page.close();
    expect(wrong).toEqual([]);
  });
}

for (const who of VISITORS) {
  test(`every route handler as ${who}`, async () => {
    const request = contexts[who].request;
    const wrong: string[] = [];
    for (const r of routes) {
      if (r.url.startsWith("/api/auth")) continue; // next-auth's own endpoints (public)
      const url = fill(r.url);
      const before = await denied();
      const res = await request.fetch(url, { method: r.method, data: r.method === "GET" || r.method === "HEAD" ? undefined : "", maxRedirects: 0 });
      const status = res.status();
      if (status >= 500) wrong.push(`${r.method} ${r.url} as ${who}: ${status}`);
      if (r.rule === "device") {
        if (status === 401) wrong.push(`${r.method} ${r.url} as ${who}: 401 from a device endpoint`);
        continue;
      }
      const refusedAs = r.rule === "public" ? null
        : who === "anonymous" ? 401
        : r.rule === "admin" && who !== "admin" ? 403
        : r.rule === "endUser" && who === "admin" ? 403
        : r.rule === "endUser" && who === "endUserB" && url.includes(ids.device!) ? 404
        : null;
      if (refusedAs === null) {
        if (status === 401 || status === 403) wrong.push(`${r.method} ${r.url} (${r.rule}) as ${who}: refused with ${status}`);
        continue;
      }
      if (status !== refusedAs) wrong.push(`${r.method} ${r.url} (${r.rule}) as ${who}: ${status}, expected ${refusedAs}`);
      const body = await res.json().catch(() => null);
      if (!body?.error?.code || typeof body.error.message !== "string") wrong.push(`${r.method} ${r.url} as ${who}: not the one JSON error shape`);
      if ((await denied()) <= before) wrong.push(`${r.method} ${r.url} (${r.rule}) as ${who}: refused without a DENIED audit row`);
    }
    expect(wrong).toEqual([]);
  });
}
