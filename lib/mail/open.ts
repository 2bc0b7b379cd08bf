import { isSealed, openString } from "../crypto";

// The stored body of a mail is sealed: mails carry one-time links, PINs and email-change tokens.
export const MAIL_TEXT = "mail.text";
export const MAIL_HTML = "mail.html";

/** A stored mail with its body readable (rows from before sealing are plain). */
export function openMail<M extends { text?: string; html?: string | null }>(m: M): M {
  const read = (v: string, context: string) => (isSealed(v) ? openString(v, context) : v);
  return {
    ...m,
    ...(typeof m.text === "string" && { text: read(m.text, MAIL_TEXT) }),
    ...(typeof m.html === "string" && { html: read(m.html, MAIL_HTML) }),
  };
}
