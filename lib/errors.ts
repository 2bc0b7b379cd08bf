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

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (e instanceof Error && e.name === "UserError" && "code" in e);
}
