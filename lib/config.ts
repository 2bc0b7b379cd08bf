import path from "node:path";

/** Where Mamori keeps its embedded database and generated secrets. */
export function dataDir(): string {
  return path.resolve(process.env.MAMORI_DATA_DIR || ".data");
}

/** Session lifetime in seconds (default 8 hours: one working day). */
export function sessionMaxAge(): number {
  const n = Number(process.env.MAMORI_SESSION_MAX_AGE);
  return Number.isInteger(n) && n >= 60 ? n : 8 * 60 * 60;
}

/** Fallback time zone for dates when the browser has not told us its own. */
export function defaultTimeZone(): string {
  return process.env.MAMORI_TIME_ZONE || "Asia/Tokyo";
}
