import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { expect, test, type Browser, type BrowserContext } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { signedIn } from "./helpers";
import { builtActions, invokeAction, listServerActions, workerUrl, type ActionRule, type ServerAction } from "./server-actions";

// The authorization matrix for server actions (pages and route handlers: authorization.spec.ts).
// Every action.<rule>() export is POSTed as the real Next.js client sends it, with an almost
// empty form, as each kind of visitor. Refusals answer the guard's sentence and leave exactly one
// DENIED audit row named after the action; allowed calls are not refused and (empty form) do
// nothing. B then tries A's device and certificate through every end-user action taking one.

// "expired" carries a session cookie the server no longer accepts: it passes proxy.ts (which only
// looks for the cookie) and reaches the action's own guard, which a cookieless POST to /admin or
// /my never does.
type Visitor = "anonymous" | "expired" | "endUserA" | "endUserB" | "admin";
const VISITORS: Visitor[] = ["anonymous", "expired", "endUserA", "endUserB", "admin"];
const A = { email: "authz-actions-a@example.jp", password: "authz actions A password 1" };
const B = { email: "authz-actions-b@example.jp", password: "authz actions B password 1" };
const ADMIN = { email: "authz-actions-admin@example.jp", password: "authz actions admin password 1" };

const actions = listServerActions();
const key = (a: ServerAction) => `${a.file}#${a.exportName}`;

// Allowed calls that act even on an empty form: skipped for the visitors they are allowed to, except
// anonymous (a sign-out without a session changes nothing; it would clear the expired visitor's cookie).
const ACTS_ON_EMPTY_FORM: Record<string, string> = {
  "app/actions/session.ts#signOutAction": "signs the visitor out (the signed-in contexts are needed after)",
  "app/go/actions.ts#goContinueAction": "issues a /go ticket for the signed-in user",
  "app/(portal)/my/enroll/actions.ts#myQrAction": "makes a one-time enrollment QR code",
  "app/(admin)/admin/certificates/ade/actions.ts#createKey": "creates the ADE key pair",
  "app/(admin)/admin/certificates/ade/actions.ts#deleteToken": "deletes the ADE token",
  "app/(admin)/admin/certificates/push/actions.ts#createRequest": "creates a push certificate request",
  "app/(admin)/admin/android/actions.ts#syncAndroid": "queues an Android sync job",
  "app/(admin)/admin/directory/actions.ts#importDirectory": "queues a directory import job",
  "app/(admin)/admin/settings/actions.ts#sendTestMailAction": "mails the signed-in admin a test mail",
  "app/(admin)/admin/setup-status/actions.ts#checkPublicUrlAction": "reads only (the live check of the public address): nothing to validate",
};
// Forms whose every field is optional or defaulted: one invalid value keeps them from saving.
const INVALID_FORM: Record<string, Record<string, string>> = {
  "app/(admin)/admin/privacy/actions.ts#saveGlobal": { location: "x" },
  "app/(admin)/admin/enrollment/actions.ts#createLink": { count: "0" },
};

const ids: Record<string, string> = {};
const contexts = {} as Record<Visitor, BrowserContext>;
let baseURL = "";

// The guard's two refusal sentences, in every language (the catalogs are JSON the spec loader cannot import).
const catalogs = readdirSync("lib/i18n/messages").map((f) => JSON.parse(readFileSync(`lib/i18n/messages/${f}`, "utf8")) as { errors: Record<string, string> });
const REFUSAL = {
  signedOut: new Set(catalogs.map((c) => c.errors.signedOut!)),
  role: new Set(catalogs.map((c) => c.errors.forbidden!)),
};

function refusalFor(rule: ActionRule, who: Visitor): "signedOut" | "role" | null {
  if (rule === "public") return null;
  if (who === "anonymous" || who === "expired") return "signedOut";
  if (rule === "admin" && who !== "admin") return "role";
  if (rule === "endUser" && who === "admin") return "role";
  return null;
}

/** The page to post to: one whose bundle holds the action (as the browser's form is on one); for anonymous an open one if any. */
function pageFor(a: ServerAction, who: Visitor): string {
  const urls = a.workers.map(workerUrl).sort((x, y) => Number(x.includes("[")) - Number(y.includes("[")));
  const url = (who === "anonymous" ? urls.find((u) => !/^\/(admin|my)(\/|$)/.test(u)) : undefined) ?? urls[0]!;
  if (/\/(my|admin)\/devices\/\[id\]/.test(url)) return url.replace("[id]", ids.device!);
  if (/\/my\/certificates\/\[id\]/.test(url)) return url.replace("[id]", ids.cert!);
  if (/\/admin\/users\/\[id\]/.test(url)) return url.replace("[id]", ids.userA!);
  return url.replace(/\[\w+\]/g, randomUUID());
}

const form = (fields: Record<string, string | Blob> = {}) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
};

const lastAudit = async () => Number((await sql<{ n: string }>(`SELECT coalesce(max(id), 0) AS n FROM audit_events`))[0]!.n);
const deniedSince = (id: number) =>
  sql<{ action: string; reason: string | null; target_id: string | null }>(
    `SELECT action, details->>'reason' AS reason, target_id FROM audit_events WHERE result = 'DENIED' AND id > $1 ORDER BY id`,
    [id],
  );

const errorOf = (result: unknown) => (result && typeof result === "object" ? (result as { error?: unknown }).error : undefined);
const okOf = (result: unknown) => (result && typeof result === "object" ? (result as { ok?: unknown }).ok : undefined);

/** What is wrong with a refusal: the guard's sentence, and exactly one DENIED row named after the action. */
function refusalProblems(label: string, a: ServerAction, reason: "signedOut" | "role", result: unknown, denied: { action: string; reason: string | null }[]): string[] {
  const out: string[] = [];
  const error = errorOf(result);
  if (okOf(result) !== false || typeof error !== "string" || !REFUSAL[reason].has(error)) out.push(`${label}: ${JSON.stringify(result)}, expected the ${reason} refusal`);
  if (denied.length !== 1 || denied[0]!.action !== a.name || denied[0]!.reason !== reason) out.push(`${label}: DENIED rows ${JSON.stringify(denied)}, expected one ${a.name}/${reason}`);
  return out;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }, info) => {
  baseURL = info.project.use.baseURL!;
  await createAdmin(ADMIN.email, ADMIN.password);
  await createEndUser(A.email, A.password, "Authz Actions A");
  await createEndUser(B.email, B.password, "Authz Actions B");
  ids.userA = (await sql<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [A.email]))[0]!.id;
  ids.device = (await sql<{ id: string }>(
    `INSERT INTO devices (id, udid, platform, status, owner_id, name, updated_at) VALUES (gen_random_uuid(), $1, 'IOS', 'ACTIVE', $2, 'A phone', now()) RETURNING id`,
    [`AUTHZ-ACTIONS-${randomUUID()}`, ids.userA],
  ))[0]!.id;
  // Only the id and the owner matter: every certificate action checks ownership before reading it.
  ids.cert = (await sql<{ id: string }>(
    `INSERT INTO user_certificates (id, user_id, purpose, name, cert_pem, subject, issuer, serial, not_before, not_after, pkcs12_sealed, updated_at)
     VALUES (gen_random_uuid(), $1, 'SIGNING', 'A signing', 'pem', 'CN=A', 'CN=CA', '01', now(), now() + interval '1 year', 'sealed', now()) RETURNING id`,
    [ids.userA],
  ))[0]!.id;
  contexts.anonymous = await browser.newContext();
  contexts.expired = await browser.newContext();
  await contexts.expired.addCookies([{ name: "authjs.session-token", value: "no-longer-valid", url: baseURL }]);
  contexts.endUserA = await signedIn(browser, A, /\/my$/);
  contexts.endUserB = await signedIn(browser, B, /\/my$/);
  contexts.admin = await signedIn(browser, ADMIN, /\/admin$/);
});

test.afterAll(async () => {
  for (const c of Object.values(contexts)) await c.close();
});

test("every server action is built, declares a rule and is named for the audit log", () => {
  expect(actions.length).toBeGreaterThan(40);
  expect(actions.filter((a) => !a.id).map(key)).toEqual([]);
  expect(actions.filter((a) => !["public", "user", "endUser", "admin"].includes(a.rule)).map(key)).toEqual([]);
  expect(actions.filter((a) => !a.name).map(key)).toEqual([]);
  expect(actions.filter((a) => !a.workers.length).map(key)).toEqual([]);
  // And the other way: nothing the build serves as an action is missing from the matrix.
  expect(builtActions().filter((k) => !actions.some((a) => key(a) === k))).toEqual([]);
  // Each skip and invalid form names an action that still exists.
  for (const k of [...Object.keys(ACTS_ON_EMPTY_FORM), ...Object.keys(INVALID_FORM)]) expect(actions.map(key)).toContain(k);
});

for (const who of VISITORS) {
  test(`every server action as ${who}`, async () => {
    const request = contexts[who].request;
    const wrong: string[] = [];
    let refused = 0;
    let allowed = 0;
    let skipped = 0;
    let byProxy = 0;
    for (const a of actions) {
      const reason = refusalFor(a.rule, who);
      if (!reason && ACTS_ON_EMPTY_FORM[key(a)] && who !== "anonymous") {
        skipped++;
        continue;
      }
      const page = pageFor(a, who);
      const label = `${a.exportName} (${a.rule}, ${a.file}) as ${who} on ${page}`;
      const before = await lastAudit();
      const res = await invokeAction(request, baseURL, page, a.id!, form(INVALID_FORM[key(a)]));
      const denied = await deniedSince(before);
      if (res.status >= 500) {
        wrong.push(`${label}: ${res.status}`);
        continue;
      }
      // Signed out with no cookie at all: proxy.ts sends /admin and /my to sign-in before any action runs.
      const stoppedByProxy = who === "anonymous" && res.status >= 300 && res.status < 400 && !!res.location?.startsWith("/login");
      if (stoppedByProxy) {
        byProxy++;
        if (denied.length) wrong.push(`${label}: sent to sign in, yet audited ${JSON.stringify(denied)}`);
      }
      if (reason) {
        refused++;
        if (stoppedByProxy) {
          // The same id posted to an open page: Next.js forwards it to a page holding the action, through proxy.ts again.
          const again = await lastAudit();
          const open = await invokeAction(request, baseURL, "/login", a.id!, form(INVALID_FORM[key(a)]));
          if (open.status >= 500) wrong.push(`${label} posted to /login: ${open.status}`);
          else if (open.result !== undefined) wrong.push(...refusalProblems(`${label} posted to /login`, a, reason, open.result, await deniedSince(again)));
          else if ((await sql(`SELECT 1 FROM audit_events WHERE id > $1`, [again])).length) wrong.push(`${label} posted to /login: no answer, yet audited`);
          continue;
        }
        wrong.push(...refusalProblems(label, a, reason, res.result, denied));
      } else {
        allowed++;
        const error = errorOf(res.result);
        if (typeof error === "string" && (REFUSAL.signedOut.has(error) || REFUSAL.role.has(error))) wrong.push(`${label}: refused (${error})`);
        if (denied.some((d) => d.reason === "signedOut" || d.reason === "role")) wrong.push(`${label}: audited as refused ${JSON.stringify(denied)}`);
        // A public action only on pages behind proxy.ts (sign-out) is out of an anonymous visitor's reach: fine.
        if (res.result === undefined && !res.actionRedirect && !stoppedByProxy) wrong.push(`${label}: ${res.status} ${res.contentType}, no action result`);
        // An empty form must do nothing: else the action belongs in ACTS_ON_EMPTY_FORM or INVALID_FORM.
        if (okOf(res.result) === true) wrong.push(`${label}: succeeded on an empty form ${JSON.stringify(res.result)}`);
      }
    }
    test.info().annotations.push({ type: "calls", description: `${refused} refused (${byProxy} by proxy.ts), ${allowed} allowed, ${skipped} skipped` });
    expect(wrong).toEqual([]);
    expect(refused + allowed).toBe(actions.length - skipped);
  });
}

test("end user B cannot act on A's device or certificate through any end-user action", async () => {
  // Which end-user actions take one of A's objects, read from their files' schemas.
  const onDevice = actions.filter((a) => a.rule === "endUser" && a.fields.includes("deviceId"));
  const onCert = actions.filter((a) => a.rule === "endUser" && a.file.includes("/my/certificates/") && a.fields.includes("id"));
  expect(onDevice.length).toBeGreaterThanOrEqual(7);
  expect(onCert.length).toBeGreaterThanOrEqual(4);
  const deviceRow = () => sql(`SELECT status, lost_mode, name, owner_id, updated_at FROM devices WHERE id = $1`, [ids.device]);
  const commands = async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM commands WHERE device_id = $1`, [ids.device]))[0]!.n);
  const certRow = () => sql(`SELECT name, pkcs12_sealed, key_cleared_at, updated_at FROM user_certificates WHERE id = $1`, [ids.cert]);
  const [device0, commands0, cert0] = [await deviceRow(), await commands(), await certRow()];
  // Everything a form of theirs might need, so validation and confirmations pass and ownership decides.
  const fields = (target: Record<string, string>) => ({ ...target, confirm: "on", confirmation: "A phone", name: "taken", message: "m", file: new Blob([Buffer.from("not a pkcs12")]), password: "" });
  const wrong: string[] = [];
  for (const [a, target] of [...onDevice.map((a) => [a, { deviceId: ids.device! }] as const), ...onCert.map((a) => [a, { id: ids.cert! }] as const)]) {
    const page = pageFor(a, "endUserB");
    const before = await lastAudit();
    const res = await invokeAction(contexts.endUserB.request, baseURL, page, a.id!, form(fields(target)));
    const denied = await deniedSince(before);
    const label = `${a.exportName} as B on A's ${Object.keys(target)[0]}`;
    if (res.status >= 500) wrong.push(`${label}: ${res.status}`);
    if (okOf(res.result) !== false || typeof errorOf(res.result) !== "string") wrong.push(`${label}: ${JSON.stringify(res.result)}`);
    const id = Object.values(target)[0];
    if (denied.length !== 1 || denied[0]!.action !== a.name || denied[0]!.reason !== "notOwner" || denied[0]!.target_id !== id) wrong.push(`${label}: DENIED rows ${JSON.stringify(denied)}, expected one ${a.name}/notOwner`);
  }
  expect(wrong).toEqual([]);
  expect(await deviceRow()).toEqual(device0);
  expect(await commands()).toBe(commands0);
  expect(await certRow()).toEqual(cert0);
});
