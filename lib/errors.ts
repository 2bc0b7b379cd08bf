/**
 * An expected failure the user can act on. `code` is an i18n key under "errors."; params fill
 * its placeholders. Every layer throws this one shape so pages, actions and routes can show
 * a localized sentence and change nothing.
 */
export class UserError extends Error {
  constructor(
    readonly code: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
    this.name = "UserError";
  }
}

/**
 * Several fields refused at once (a form validated as a whole): each field's own sentence, shown
 * beside it, under the summary `errors.checkFields`. `code`/`params` are the first field's.
 */
export class FieldsError extends UserError {
  constructor(readonly fields: Record<string, { code: string; params?: Record<string, string | number> }>) {
    const [first] = Object.values(fields);
    super(first?.code ?? "checkFields", first?.params ?? {});
  }
}

/** The refusals of a zod result, one per field (the first for each), keys under `errors.`. */
export function fieldsFrom(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix: string, fallback: string): FieldsError {
  const fields: FieldsError["fields"] = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "form");
    fields[field] ??= { code: issue.message.startsWith(prefix) ? issue.message : fallback, params: { field } };
  }
  return new FieldsError(fields);
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (e instanceof Error && e.name === "UserError" && "code" in e);
}
