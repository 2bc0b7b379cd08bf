// CSV for spreadsheets (RFC 4180 with CRLF). Every cell is quoted, quotes are doubled, and a
// cell that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
// return that hides one) gets a leading apostrophe, so an audit log entry typed by an
// attacker never executes when an admin opens the export (OWASP "CSV injection").

/** Byte order mark: Excel reads a CSV as UTF-8 only with it (Japanese text otherwise garbles). */
export const UTF8_BOM = "\uFEFF";

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (FORMULA.test(s)) s = `'${s}`;
  return `"${s.replaceAll('"', '""')}"`;
}

export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}
