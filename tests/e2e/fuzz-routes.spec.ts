import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signIn } from "./helpers";
import { caseCount, FULL_CASES, fuzz, type Rng } from "../fuzz/support/fuzz";
import { percentEncode, weirdString } from "../fuzz/support/mutate";

// Malformed paths and query strings on every route of the app/ tree (found by walking it, so a new
// route is fuzzed without touching this file), as an anonymous visitor, an end user and an admin,
// against the real server (`npm start`: Node's device endpoint ahead of Next.js). No answer may be
// a 5xx, the device endpoints never answer 401, and nothing is stored. Seeded like tests/fuzz:
// FUZZ_SEED=... FUZZ_CASE=... reruns one case; FUZZ_FULL=1 runs FULL_CASES requests in all.

interface Route {
  /** Segments with dynamic ones as null (filled by the fuzzer) and catch-alls as "...". */
  segments: Array<string | null>;
  methods: string[];
  device: boolean;
}

function routes(): Route[] {
  const out: Route[] = [];
  const walk = (dir: string, segs: Array<string | null>) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name.startsWith("_")) continue;
        const seg = /^\(.*\)$/.test(e.name) ? undefined : e.name.startsWith("[") ? null : e.name;
        walk(full, seg === undefined ? segs : [...segs, seg]);
      } else if (e.name === "page.tsx") {
        out.push({ segments: segs, methods: ["GET", "HEAD", "POST"], device: false });
      } else if (e.name === "route.ts") {
        const src = readFileSync(full, "utf8");
        const methods = [...src.matchAll(/export (?:async )?function (GET|POST|PUT|DELETE|PATCH|HEAD)\b/g)].map((m) => m[1]!);
        const destructured = /export const \{([^}]*)\}/.exec(src)?.[1];
        if (destructured) methods.push(...destructured.split(",").map((s) => s.trim()).filter((s) => /^[A-Z]+$/.test(s)));
        const p = "/" + segs.join("/");
        out.push({ segments: segs, methods, device: p.startsWith("/api/mdm/") || p === "/api/scep" });
      }
    }
  };
  walk(path.resolve("app"), []);
  return out;
}

const SEGMENTS = [
  "%ff", "%", "%zz", "%00", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%c0%ae", "%e3%81", "%f0%9f%99", "%252e", "%u0041", "null", "undefined", "0", "-1",
  "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "x'%20OR%20'1'='1", "%3Cscript%3E", "a".repeat(3000), "%E6%97%A5%E6%9C%AC",
  "__proto__", "constructor", ".", "..%00", "%20", "+", "a;b", "a,b", "~", "!", "*",
];
const QUERIES = [
  "%", "%ff=%ff", "a=%", "=", "&&&", "a[]=1&a[]=2", "__proto__[x]=1", "constructor[prototype][x]=1", "callbackUrl=%ff", "callbackUrl=//evil.example",
  "callbackUrl=javascript:alert(1)", "page=-1", "page=1e309", "page=NaN", "page=99999999999999999999", "sort=;drop%20table%20users", "q=%00",
  "operation=PKIOperation&message=%ff", "operation=PKIOperation&message=" + "A".repeat(140_000 / 100), "operation=GetCACert", "operation=GetCACaps", "operation=%ff",
  "operation=PKIOperation&message=", "status=ACTIVE&status=%ff", "platform=WINDOWS", "invite=%ff", "error=%ff", "from=%ff&to=%ff", "cursor=%ff", "id=%00",
];

function fuzzPath(rng: Rng, r: Route): string {
  const segs = r.segments.map((s) => (s === null ? (rng.chance(0.8) ? rng.pick(SEGMENTS) : percentEncode(weirdString(rng)).slice(0, 4000) || "x") : s));
  let p = "/" + segs.join("/");
  switch (rng.int(8)) {
    case 0: p += "/"; break;
    case 1: p += "/" + rng.pick(SEGMENTS); break;
    case 2: p = p.replace(/\/(?=[^/]*$)/, "//"); break;
    case 3: p = p.toUpperCase(); break;
    case 4: p = "/" + p.slice(1).replace(/\//g, (m) => (rng.chance(0.2) ? "%2F" : m)); break;
    default:
  }
  const q = rng.chance(0.7) ? "?" + Array.from({ length: rng.range(1, 3) }, () => rng.pick(QUERIES)).join("&") : rng.chance(0.3) ? "?" + percentEncode(weirdString(rng)).slice(0, 3000) : "";
  return p + q;
}

const BODIES: Array<{ type: string; body: string | Buffer }> = [
  { type: "application/x-www-form-urlencoded", body: "a=%&b=%ff&ticket=%zz" },
  { type: "application/x-www-form-urlencoded", body: "x=" + "A".repeat(200_000) },
  { type: "application/json", body: '{"a":' },
  { type: "multipart/form-data; boundary=zzz", body: "--zzz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n" },
  { type: "multipart/form-data", body: "no boundary" },
  { type: "application/x-pki-message", body: Buffer.from([0x30, 0x82, 0xff, 0xff, 0x06]) },
  { type: "text/plain", body: "" },
];

// What an invalid request must not change (the audit log and tickets are left out: signing in
// writes the one, and a view of /my/enroll the other; so are the settings background jobs keep).
const STATE_SQL = `SELECT
  (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM devices)::int AS devices, (SELECT count(*) FROM commands)::int AS commands,
  (SELECT count(*) FROM enrollments)::int AS enrollments, (SELECT count(*) FROM user_certificates)::int AS user_certificates,
  (SELECT count(*) FROM push_certificates)::int AS push_certificates, (SELECT count(*) FROM push_certificate_requests)::int AS push_requests,
  (SELECT count(*) FROM vendor_certificates)::int AS vendor_certificates, (SELECT count(*) FROM ade_tokens)::int AS ade_tokens,
  (SELECT count(*) FROM invitations)::int AS invitations, (SELECT count(*) FROM configurations)::int AS configurations,
  (SELECT count(*) FROM certificate_authorities)::int AS certificate_authorities, (SELECT count(*) FROM user_groups)::int AS groups,
  (SELECT json_object_agg(key, md5(value::text) ORDER BY key) FROM settings WHERE key NOT IN ('collection.cursor', 'directory.status')) AS settings,
  (SELECT md5(coalesce(string_agg(id::text || coalesce(password_hash, '') || role, ',' ORDER BY id), '')) FROM users) AS user_rows`;

const ADMIN = { email: "fuzz-admin@example.jp", password: "Fuzz-admin-pw-1" };
const USER = { email: "fuzz-user@example.jp", password: "Fuzz-user-pw-1" };

test.describe("malformed paths and query strings on every route", () => {
  test.beforeAll(async () => {
    await createAdmin(ADMIN.email, ADMIN.password);
    await createEndUser(USER.email, USER.password);
  });

  const all = routes();
  const sessions = ["anonymous", "end user", "admin"] as const;
  const perSession = Math.ceil((process.env.FUZZ_FULL === "1" ? Number(process.env.FUZZ_CASES) || FULL_CASES : caseCount(80) * 3) / 3);

  test("the route tree is found: pages, route handlers and both device endpoints", () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((r) => r.device).map((r) => r.segments.join("/")).sort()).toEqual(["api/mdm/checkin", "api/mdm/connect", "api/scep"]);
  });

  for (const who of sessions) {
    test(`as ${who}: no 5xx, no 401 from a device endpoint, nothing stored`, async ({ page, request: anonymous }) => {
      test.setTimeout(60_000 + perSession * 1_000);
      const base = test.info().project.use.baseURL!;
      let api: APIRequestContext = anonymous;
      if (who !== "anonymous") {
        const u = who === "admin" ? ADMIN : USER;
        await signIn(page, u.email, u.password, who === "admin" ? /\/admin$/ : /\/my/);
        api = page.request;
      }
      // The device CA is made on first use: make it before the baseline.
      expect((await anonymous.get("/api/scep?operation=GetCACert")).status()).toBe(200);
      const before = (await sql(STATE_SQL))[0];
      const r = await fuzz(`routes-${who.replace(" ", "-")}`, perSession, async (rng) => {
        const route = rng.pick(all);
        const method = rng.chance(0.9) ? rng.pick(route.methods) : rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
        const url = fuzzPath(rng, route);
        const body = method === "GET" || method === "HEAD" ? undefined : rng.pick(BODIES);
        // Absolute, so that a path starting with "//" stays a path.
        const res = await api.fetch(`${base}${url}`, {
          method,
          maxRedirects: 0,
          failOnStatusCode: false,
          timeout: 30_000,
          ...(body && { headers: { "content-type": body.type }, data: body.body }),
        });
        const status = res.status();
        const kind = `${status} ${route.device ? "device" : "app"}`;
        if (status >= 500) return { kind, ok: false, why: `${method} ${url.slice(0, 200)} answered ${status}: ${(await res.text()).slice(0, 200)}` };
        if (route.device && status === 401) return { kind, ok: false, why: `${method} ${url.slice(0, 200)}: a device endpoint answered 401` };
        return { kind, ok: true };
      });
      expect(r.failures, r.failures.join("\n")).toEqual([]);
      expect((await sql(STATE_SQL))[0]).toEqual(before);
    });
  }
});
