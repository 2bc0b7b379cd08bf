// Wall-clock times in a given IANA time zone, for filters typed by an admin ("from 9:00 on
// 1 March", meant in their own zone) and for exports a spreadsheet can sort.

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function parts(d: Date, timeZone: string): Record<string, number> {
  let fmt = partFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    if (partFormatters.size > 500) partFormatters.clear();
    partFormatters.set(timeZone, fmt);
  }
  return Object.fromEntries(fmt.formatToParts(d).filter((p) => p.type !== "literal").map((p) => [p.type, Number(p.value)]));
}

/** How far the zone's wall clock is ahead of UTC at this instant, in milliseconds. */
function offsetAt(utcMs: number, timeZone: string): number {
  const p = parts(new Date(utcMs), timeZone);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(utcMs / 1000) * 1000;
}

export interface WallTime {
  /** The instant the wall time stands for. */
  at: Date;
  /** The wall time had only a date (no time of day). */
  dateOnly: boolean;
  /** The instant one unit later: the next day for a date, the next minute (or second) for a time. */
  end: Date;
}

/**
 * "2026-03-01" or "2026-03-01T09:30" (as a date or datetime-local input sends it) read in
 * `timeZone`; null when it is not such a value or not a real date. In a DST gap the time is
 * taken with the offset from before the change.
 */
export function parseWallTime(value: string, timeZone: string): WallTime | null {
  const m = WALL.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h = "0", mi = "0", s] = m.slice(1) as [string, string, string, string?, string?, string?];
  const local = Date.UTC(+y, +mo - 1, +d, +h, +mi, Number(s ?? 0));
  const check = new Date(local);
  if (+y < 1970 || check.getUTCFullYear() !== +y || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || Number(s ?? 0) > 59) return null;
  let utc = local - offsetAt(local, timeZone);
  const again = local - offsetAt(utc, timeZone);
  if (again !== utc) utc = again;
  const dateOnly = m[4] === undefined;
  const next = dateOnly ? Date.UTC(+y, +mo - 1, +d + 1) : local + (s === undefined ? 60_000 : 1000);
  let end = next - offsetAt(next, timeZone);
  const endAgain = next - offsetAt(end, timeZone);
  if (endAgain !== end) end = endAgain;
  return { at: new Date(utc), dateOnly, end: new Date(end) };
}

/** "2026-03-01 09:30:05" on the zone's wall clock: sorts as text, and spreadsheets read it as a date. */
export function formatWallTime(d: Date, timeZone: string): string {
  const p = parts(d, timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${p.year}-${two(p.month!)}-${two(p.day!)} ${two(p.hour!)}:${two(p.minute!)}:${two(p.second!)}`;
}
