import { z } from "zod";
import { audit, ANONYMOUS } from "@/lib/audit";
import { currentUser } from "@/lib/auth/session";
import { isUserError } from "@/lib/errors";
import { getFormatter, getT } from "@/lib/i18n/server";
import { requestContext } from "@/lib/request";
import type { T } from "@/lib/i18n";
import type { User } from "@/lib/db/generated/client";

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

const SECRET_FIELD = /password|confirm|pin|secret|token/i;

function echo(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) if (typeof v === "string" && !SECRET_FIELD.test(k) && !k.startsWith("$")) out[k] = v.slice(0, 1000);
  return out;
}

export interface ActionContext<U> {
  user: U;
  ip: string | null;
  userAgent: string | null;
  t: T;
}

type Role = "anonymous" | "user" | "admin";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Dates travel in UserError params as ISO strings; show them in the user's locale and zone. */
async function localizeParams(params: Record<string, string | number>) {
  const fmt = await getFormatter();
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === "string" && ISO_DATE.test(v) ? fmt(new Date(v)) : v]));
}
type UserFor<R extends Role> = R extends "anonymous" ? User | null : User;

/**
 * The one wrapper for server actions: parse FormData with zod, resolve and authorize the user
 * on the server, run, turn UserError into a localized sentence, and audit a refusal.
 * Domain functions write their own success events (they know the target and details).
 */
export function formAction<S extends z.ZodType, R extends Role>(
  opts: { name: string; role: R; schema: S },
  run: (input: z.infer<S>, ctx: ActionContext<UserFor<R>>) => Promise<ActionState | void>,
) {
  return async (_prev: ActionState, form: FormData): Promise<ActionState> => {
    const t = await getT();
    const req = await requestContext();
    const user = await currentUser();
    const refused =
      (opts.role === "user" && !user) || (opts.role === "admin" && user?.role !== "ADMIN");
    if (refused) {
      await audit({
        actor: user ? { id: user.id, label: user.email } : ANONYMOUS,
        action: opts.name,
        result: "DENIED",
        ...req,
        details: { reason: user ? "role" : "signedOut" },
      });
      return { ok: false, error: t(user ? "errors.forbidden" : "errors.signedOut") };
    }
    const parsed = opts.schema.safeParse(Object.fromEntries(form));
    if (!parsed.success) {
      const fieldErrors: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? "form");
        fieldErrors[field] ??= t(issue.message.includes(".") ? issue.message : "validation.invalid");
      }
      return { ok: false, fieldErrors, error: t("errors.checkFields"), values: echo(form) };
    }
    try {
      const result = (await run(parsed.data, { user: user as UserFor<R>, t, ...req })) ?? { ok: true };
      return result.ok ? result : { values: echo(form), ...result };
    } catch (e) {
      if (isUserError(e)) return { ok: false, error: t(`errors.${e.code}`, await localizeParams(e.params)), values: echo(form) };
      throw e;
    }
  };
}
