import { route } from "@/lib/auth/guard";
import { headers } from "next/headers";
import { resolvePublicUrl } from "@/lib/settings";
import { isUserError } from "@/lib/errors";
import { translator, matchLocale } from "@/lib/i18n";
import { clientAddress } from "@/lib/request";
import { enrollmentProfile } from "@/lib/enrollment/profile";

export const dynamic = "force-dynamic";

function page(title: string, text: string, lang: string) {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="${lang}"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}

/** The enrollment profile behind a one-time link; a refusal is a readable page, in the browser's language. */
export const GET = route.public("enrollment.profile", async (_req, { params }) => {
  const h = await headers();
  try {
    const body = await enrollmentProfile((params.token ?? ""), await resolvePublicUrl(h.get("host")), { ip: clientAddress(h), userAgent: h.get("user-agent") });
    return new Response(new Uint8Array(body), {
      headers: { "content-type": "application/x-apple-aspen-config", "content-disposition": 'attachment; filename="Mamori.mobileconfig"', "cache-control": "no-store" },
    });
  } catch (e) {
    if (!isUserError(e)) throw e;
    const locale = matchLocale(h.get("accept-language"));
    const t = translator(locale);
    return new Response(page(t("enrollment.profileError"), t(`errors.${e.code}`, e.params), locale), { status: 410, headers: { "content-type": "text/html; charset=utf-8" } });
  }
});

/**
 * A mail scanner or link preview checking the link (HEAD) must not spend it: answered without
 * looking the link up. (Next.js would otherwise run GET for a HEAD.)
 */
export const HEAD = route.public("enrollment.profile", () => {
  return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
});
