import { describe, expect, it } from "vitest";
import { csvCell, csvLine, UTF8_BOM } from "@/lib/csv";
import { formatWallTime, parseWallTime } from "@/lib/time";

describe("CSV cells", () => {
  it("quotes cells that need it and doubles quotes; line breaks and commas stay inside the cell", () => {
    expect(csvLine(["a", 'say "hi"', "x,y", "two\nlines", null, undefined, 42, { k: "v" }])).toBe('a,"say ""hi""","x,y","two\nlines",,,42,"{""k"":""v""}"\r\n');
  });

  it.each(["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＠SUM(A1)"])("defuses %j as a formula", (v) => {
    const cell = csvCell(v);
    const text = cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;
    expect(text).toBe(`'${v}`);
  });

  it("leaves ordinary text, Japanese and inner signs alone", () => {
    expect(csvCell("山田 太郎")).toBe("山田 太郎");
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell("192.0.2.1")).toBe("192.0.2.1");
  });

  it("has a UTF-8 byte order mark for Excel", () => {
    expect(Buffer.from(UTF8_BOM, "utf8")).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });
});

describe("wall times in a time zone", () => {
  it("reads a date as the start of that day in the zone, ending at the next", () => {
    const w = parseWallTime("2026-03-01", "Asia/Tokyo")!;
    expect(w.at.toISOString()).toBe("2026-02-28T15:00:00.000Z");
    expect(w.end.toISOString()).toBe("2026-03-01T15:00:00.000Z");
    expect(w.dateOnly).toBe(true);
  });

  it("reads a datetime-local value, ending a minute later", () => {
    const w = parseWallTime("2026-03-01T09:30", "Asia/Tokyo")!;
    expect(w.at.toISOString()).toBe("2026-03-01T00:30:00.000Z");
    expect(w.end.toISOString()).toBe("2026-03-01T00:31:00.000Z");
    expect(parseWallTime("2026-03-01T09:30:15", "UTC")!.end.toISOString()).toBe("2026-03-01T09:30:16.000Z");
  });

  it("follows daylight saving time", () => {
    expect(parseWallTime("2026-07-01T12:00", "America/New_York")!.at.toISOString()).toBe("2026-07-01T16:00:00.000Z");
    expect(parseWallTime("2026-01-01T12:00", "America/New_York")!.at.toISOString()).toBe("2026-01-01T17:00:00.000Z");
    // 8 March 2026 has 23 hours in New York.
    const day = parseWallTime("2026-03-08", "America/New_York")!;
    expect(day.end.getTime() - day.at.getTime()).toBe(23 * 3_600_000);
  });

  it.each(["", "2026-02-30", "2026-13-01", "2026-03-01T24:00", "2026-03-01 09:30", "yesterday", "1900-01-01", "2026-3-1"])("refuses %j", (v) => {
    expect(parseWallTime(v, "Asia/Tokyo")).toBeNull();
  });

  it("formats an instant on the zone's wall clock", () => {
    expect(formatWallTime(new Date("2026-02-28T15:00:05Z"), "Asia/Tokyo")).toBe("2026-03-01 00:00:05");
    expect(formatWallTime(new Date("2026-07-01T16:00:00Z"), "America/New_York")).toBe("2026-07-01 12:00:00");
  });
});
