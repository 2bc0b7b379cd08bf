import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import glossary from "@/lib/i18n/glossary.json";
import { catalog, keysOf, LOCALES, type Locale } from "@/lib/i18n";

// One word per concept: every message in both catalogs uses the glossary's word, never one of
// the synonyms it lists under avoid (the words a walk through the console found mixed).

type Term = { en: string; ja: string; avoid?: Partial<Record<Locale, string[]>> };
const terms = glossary.terms as Record<string, Term>;

function messages(locale: Locale): [string, string][] {
  const tree = catalog(locale);
  return keysOf(tree).map((k) => [k, k.split(".").reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], tree) as string]);
}

describe("glossary", () => {
  it("has both languages for every term", () => {
    for (const [name, t] of Object.entries(terms)) {
      expect(t.en, name).toBeTruthy();
      expect(t.ja, name).toBeTruthy();
    }
  });

  for (const locale of LOCALES) {
    it(`the ${locale} catalog uses no word the glossary avoids`, () => {
      const found: string[] = [];
      for (const [key, text] of messages(locale)) {
        for (const [name, t] of Object.entries(terms)) {
          for (const word of t.avoid?.[locale] ?? []) if (text.includes(word)) found.push(`${key}: "${word}" (use ${name}: ${t[locale]})`);
        }
      }
      expect(found).toEqual([]);
    });
  }

  it("the checker itself catches a synonym", () => {
    const avoid = terms.retire!.avoid!.ja!;
    expect(avoid.some((w) => "デバイスを撤去します".includes(w))).toBe(true);
    expect(readFileSync("lib/i18n/glossary.json", "utf8")).toContain("管理解除");
  });
});
