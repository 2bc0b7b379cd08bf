/**
 * A small standalone HTML page for links opened outside the app (a profile link, a scanned QR
 * code): a title, a sentence and optionally one button that POSTs back to the same address.
 * GET shows it and changes nothing, so a mail scanner or link preview cannot spend the link.
 */
export function linkPage(opts: { lang: string; title: string; text: string; button?: string; status?: number }): Response {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const button = opts.button
    ? `<form method="post"><button type="submit" style="font:inherit;font-size:1.1rem;padding:.8rem 1.4rem;border:0;border-radius:.5rem;background:#1d4ed8;color:#fff">${esc(opts.button)}</button></form>`
    : "";
  const html = `<!doctype html><html lang="${esc(opts.lang)}"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(opts.title)}</title><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>${esc(opts.title)}</h1><p>${esc(opts.text)}</p>${button}</body></html>`;
  return new Response(html, { status: opts.status ?? 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" } });
}
