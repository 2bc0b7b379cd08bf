import { cache } from "react";
import { forbidden, redirect } from "next/navigation";
import { z } from "zod";
import { audit, ANONYMOUS } from "@/lib/audit";
import { currentUser } from "@/lib/auth/session";
import { isUserError, type FieldsError } from "@/lib/errors";
import { withoutNul } from "@/lib/db/text";
import { getFormatter, getT } from "@/lib/i18n/server";
import { requestContext } from "@/lib/request";
import type { T } from "@/lib/i18n";
import type { User } from "@/lib/db/generated/client";

// The one guard for every door: server actions (`action.*`), route handlers (`route.*`) and
// pages (`view.*`). Each names its rule where it is declared, so tests/e2e/authorization.spec.ts
// can read the rule beside every page, action and route and try it as every kind of visitor.
//   public  – anyone;  user – signed in;  endUser – a signed-in END_USER;  admin – an ADMIN.
// Device endpoints declare `route.device`: the device proves itself, and the guard stays out.
// Every refusal is one audit row: result DENIED, details.reason "signedOut" or "role".

export type Rule = "public" | "user" | "endUser" | "admin";
type UserFor<R extends Rule> = R extends "public" ? User | null : User;

function allows(rule: Rule, user: User | null): "signedOut" | "role" | null {
  if (rule === "public") return null;
  if (!user) return "signedOut";
  if (rule === "endUser" && user.role !== "END_USER") return "role";
  if (rule === "admin" && user.role !== "ADMIN") return "role";
  return null;
}

// A page and its layouts each run the guard in one request: one audit row for them.
const refusedThisRequest = cache(() => new Set<string>());

async function refuse(user: User | null, name: string, reason: string, target?: { type: string; label: string }) {
  const seen = refusedThisRequest();
  if (seen.has(name)) return;
  seen.add(name);
  await audit({ actor: user ? { id: user.id, label: user.email } : ANONYMOUS, action: name, result: "DENIED", target, details: { reason }, ...(await requestContext()) });
}

// ---- server actions

/** What every form action returns: the form shows `error` or `fieldErrors`, else `message`. */
export type ActionState = {
  ok: boolean;
  error?: string;
  fieldErrors?: Record<string, string>;
  message?: string;
  /** A job the action started (lib/jobs/progress): the form shows its progress. */
  jobId?: string;
  /** What the action made for the page to show (e.g. a QR code), handed to onSuccess. */
  data?: Record<string, string>;
  /** What was typed, echoed back on failure so the form keeps it (never secrets). */
  values?: Record<string, string>;
} | null;

export interface ActionContext<U> {
  user: U;
  ip: string | null;
  userAgent: string | null;
  t: T;
}

const SECRET_FIELD = /password|confirm|pin|secret|token/i;

function echo(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) if (typeof v === "string" && !SECRET_FIELD.test(k) && !k.startsWith("$")) out[k] = v.slice(0, 1000);
  return out;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Dates travel in UserError params as ISO strings; show them in the user's locale and zone. */
async function localizeParams(params: Record<string, string | number>) {
  const fmt = await getFormatter();
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === "string" && ISO_DATE.test(v) ? fmt(new Date(v)) : v]));
}

/** A UserError as the sentence the user reads. */
async function sentence(t: T, e: { code: string; params: Record<string, string | number> }) {
  return t(`errors.${e.code}`, await localizeParams(e.params));
}

export type ActionOptions<S extends z.ZodType> = { name: string; schema: S };
export type ActionRun<S extends z.ZodType, U> = (input: z.infer<S>, ctx: ActionContext<U>) => Promise<ActionState | void>;

/**
 * A server action: authorize on the server (refusals audited), parse FormData with zod, run,
 * and turn a UserError into a localized sentence. Domain functions audit their own successes.
 */
function serverAction<R extends Rule>(rule: R) {
  return <S extends z.ZodType>(opts: ActionOptions<S>, run: ActionRun<S, UserFor<R>>) =>
    async (_prev: ActionState, form: FormData): Promise<ActionState> => {
      const [t, user] = [await getT(), await currentUser()];
      const reason = allows(rule, user);
      if (reason) {
        await refuse(user, opts.name, reason);
        return { ok: false, error: t(reason === "signedOut" ? "errors.signedOut" : "errors.forbidden") };
      }
      // Typed text never carries a NUL (PostgreSQL refuses it in text): dropped for every form at once.
      const parsed = opts.schema.safeParse(Object.fromEntries([...form].map(([k, v]) => [k, typeof v === "string" ? withoutNul(v) : v])));
      if (!parsed.success) {
        const fieldErrors: Record<string, string> = {};
        for (const issue of parsed.error.issues) {
          const field = String(issue.path[0] ?? "form");
          // A custom issue may carry its sentence's placeholders (zod's issue params).
          const params = "params" in issue && issue.params && typeof issue.params === "object" ? (issue.params as Record<string, string | number>) : undefined;
          fieldErrors[field] ??= t(issue.message.includes(".") ? issue.message : "validation.invalid", params);
        }
        return { ok: false, fieldErrors, error: t("errors.checkFields"), values: echo(form) };
      }
      try {
        const result = (await run(parsed.data, { user: user as UserFor<R>, t, ...(await requestContext()) })) ?? { ok: true };
        return result.ok ? result : { values: echo(form), ...result };
      } catch (e) {
        if (isUserError(e)) {
          if ("fields" in e && e.fields && typeof e.fields === "object") {
            const fieldErrors: Record<string, string> = {};
            for (const [field, f] of Object.entries(e.fields as FieldsError["fields"])) fieldErrors[field] = await sentence(t, { code: f.code, params: f.params ?? {} });
            return { ok: false, fieldErrors, error: t("errors.checkFields"), values: echo(form) };
          }
          // A refusal that names its field is also shown beside that field.
          const error = await sentence(t, e);
          const field = typeof e.params.field === "string" && e.params.field ? e.params.field : null;
          return { ok: false, error, ...(field && { fieldErrors: { [field]: error } }), values: echo(form) };
        }
        throw e;
      }
    };
}

export const action = { public: serverAction("public"), user: serverAction("user"), endUser: serverAction("endUser"), admin: serverAction("admin") };

// ---- route handlers (never the device endpoints: they answer plain 400/413 and never 401)

export type RouteStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 429 | 503;

/** Thrown (or returned via `routeError`) inside a handler: the one JSON error answer. */
export class RouteError extends Error {
  constructor(
    readonly status: RouteStatus,
    readonly code: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
  }
}

/** The one error shape of every route handler: `{ error: { code, message } }`, message localized. */
export async function routeError(status: RouteStatus, code: string, params: Record<string, string | number> = {}): Promise<Response> {
  const message = await sentence(await getT(), { code, params });
  return Response.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store" } });
}

export interface RouteContext<U> {
  user: U;
  params: Record<string, string>;
  ip: string | null;
  userAgent: string | null;
  t: T;
}

/**
 * A mutation sent from another site (a form or fetch on a page elsewhere): refused, like Next.js
 * refuses such server actions. Browsers send Origin with every POST; without a usable one, Sec-Fetch-Site.
 */
function crossOrigin(req: Request): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  const origin = req.headers.get("origin");
  // "null" is what a page under Referrer-Policy no-referrer (the one-time-link pages) sends.
  if (!origin || origin === "null") return req.headers.get("sec-fetch-site") === "cross-site";
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

/** Dynamic segments as strings (a catch-all's parts joined by "/"). */
function singleParams(p: Record<string, string | string[]> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(p ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join("/") : v]));
}

type Handler<U> = (req: Request, ctx: RouteContext<U>) => Promise<Response> | Response;

function routeHandler<R extends Exclude<Rule, "user">>(rule: R) {
  return (name: string, handler: Handler<UserFor<R>>) =>
    async (req: Request, next: { params?: Promise<Record<string, string | string[]>> } = {}): Promise<Response> => {
      if (crossOrigin(req)) {
        await refuse(null, name, "crossOrigin");
        return routeError(403, "crossOrigin");
      }
      const user = rule === "public" ? null : await currentUser();
      const reason = allows(rule, user);
      if (reason) {
        await refuse(user, name, reason);
        return routeError(reason === "signedOut" ? 401 : 403, reason === "signedOut" ? "signedOut" : "forbidden");
      }
      try {
        return await handler(req, { user: user as UserFor<R>, params: singleParams(await next.params), t: await getT(), ...(await requestContext()) });
      } catch (e) {
        if (e instanceof RouteError) return routeError(e.status, e.code, e.params);
        if (isUserError(e)) return routeError(400, e.code, e.params);
        throw e;
      }
    };
}

/**
 * Device endpoints (check-in, connect, SCEP) declare this rule: no session; the device proves
 * itself (Mdm-Signature, SCEP challenge) and errors stay plain 400/413, never 401 or JSON.
 */
function device<H extends (req: Request) => Promise<Response> | Response>(handler: H): H {
  return handler;
}

export const route = { public: routeHandler("public"), endUser: routeHandler("endUser"), admin: routeHandler("admin"), device };

// ---- pages and their layouts (`view.*`)

function pageGuard<R extends Exclude<Rule, "public">>(rule: R) {
  /** The user the page is for: signed out → /login and back; anyone else → 403, audited. */
  return async (path: string): Promise<User> => {
    const user = await currentUser();
    const reason = allows(rule, user);
    if (reason) await refuse(user, "page.view", reason, { type: "page", label: path.slice(0, 200) });
    if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(path)}`);
    if (reason) forbidden();
    return user;
  };
}

/** `view.public` declares an open page; it returns the visitor, if signed in. */
export const view = { public: async (): Promise<User | null> => currentUser(), user: pageGuard("user"), endUser: pageGuard("endUser"), admin: pageGuard("admin") };
