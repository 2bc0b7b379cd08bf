import { isUserError } from "@/lib/errors";

/** What a synchronous call refused with: its UserError code and params, or why it was not one. */
export function refusal(fn: () => unknown): { code: string; params?: unknown } {
  try {
    fn();
  } catch (e) {
    return isUserError(e) ? { code: e.code, params: e.params } : { code: `not a UserError: ${String(e)}` };
  }
  return { code: "no error" };
}

/** Just the code of `refusal`. */
export function codeOf(fn: () => unknown): string {
  return refusal(fn).code;
}
