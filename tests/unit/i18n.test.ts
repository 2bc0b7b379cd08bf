import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalog, formatDateTime, keysOf, matchLocale, translator } from "@/lib/i18n";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === "generated" ? [] : sources(p);
    return /\.tsx?$/.test(f) ? [p] : [];
  });
}

describe("languages", () => {
  it("Japanese and English have exactly the same keys", () => {
    expect(keysOf(catalog("ja")).sort()).toEqual(keysOf(catalog("en")).sort());
  });

  it("every literal key used in the code exists", () => {
    const keys = new Set(keysOf(catalog("en")));
    const missing: string[] = [];
    for (const file of ["app", "components", "lib"].flatMap(sources)) {
      for (const m of readFileSync(file, "utf8").matchAll(/\bt\("([a-zA-Z]+\.[a-zA-Z0-9_.]+)"/g)) {
        if (!keys.has(m[1]!)) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("follows Accept-Language with q-values and falls back to Japanese", () => {
    expect(matchLocale("en-US,en;q=0.9")).toBe("en");
    expect(matchLocale("ja-JP,ja;q=0.9,en;q=0.8")).toBe("ja");
    expect(matchLocale("fr-FR,en;q=0.5,ja;q=0.7")).toBe("ja");
    expect(matchLocale("fr-FR,de;q=0.5")).toBe("ja");
    expect(matchLocale("en;q=0,ja;q=0.1")).toBe("ja");
    expect(matchLocale(null)).toBe("ja");
  });

  it("fills placeholders and falls back to the key for unknown text", () => {
    const t = translator("ja");
    expect(t("errors.login.rateLimited", { minutes: 15 })).toBe("ログインの試行回数が多すぎます。15 分後にもう一度お試しください。");
    expect(translator("en")("nav.audit")).toBe("Audit log");
    expect(t("no.such.key")).toBe("no.such.key");
  });

  it("formats dates in the given locale and time zone", () => {
    const d = new Date("2026-03-01T15:30:00Z");
    expect(formatDateTime(d, "ja", "Asia/Tokyo")).toBe("2026/03/02 0:30");
    expect(formatDateTime(d, "en", "America/New_York")).toBe("Mar 1, 2026, 10:30 AM");
  });
});

describe("every expected failure has a sentence", () => {
  it("each UserError code thrown in lib/ and app/ is translated in both languages", () => {
    const en = new Set(keysOf(catalog("en")));
    const ja = new Set(keysOf(catalog("ja")));
    const missing: string[] = [];
    for (const file of ["app", "lib"].flatMap(sources)) {
      for (const m of readFileSync(file, "utf8").matchAll(/UserError\("([a-zA-Z0-9_.]+)"/g)) {
        const key = `errors.${m[1]}`;
        if (!en.has(key) || !ja.has(key)) missing.push(`${file}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
