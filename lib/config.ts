/** Session lifetime in seconds (default 8 hours: one working day). */
export function sessionMaxAge(): number {
  const n = Number(process.env.MAMORI_SESSION_MAX_AGE);
  return Number.isInteger(n) && n >= 60 ? n : 8 * 60 * 60;
}

/** Fallback time zone for dates when the browser has not told us its own. */
export function defaultTimeZone(): string {
  return process.env.MAMORI_TIME_ZONE || "Asia/Tokyo";
}

/**
 * MAMORI_PUBLIC_URL, else http://<Host header> (no trailing slash). Devices require https in
 * production. Callers that may read the database use resolvePublicUrl (lib/settings), which
 * puts the address saved under Settings between the two; this stays free of the database
 * because the edge runtime imports this file.
 */
export function publicUrl(fallbackHost?: string | null): string {
  const configured = process.env.MAMORI_PUBLIC_URL?.trim().replace(/\/+$/, "");
  if (configured) return configured;
  return `http://${fallbackHost || `localhost:${process.env.PORT || 3000}`}`;
}
