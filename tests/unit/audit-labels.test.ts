import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalog, LOCALES } from "@/lib/i18n";
import { JOB_KINDS } from "@/lib/jobs/kinds";

// Every audit action the code can write (audit({ action }), the guard's route and server-action
// names, which it audits when it refuses) and every job kind has a label in both languages: the
// audit log and the jobs page never show a raw name (found by tests/e2e/labels.spec.ts).

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

const source = [...files("lib"), ...files("app")].map((f) => readFileSync(f, "utf8")).join("\n");
const names = new Set<string>();
for (const re of [/action: "([a-zA-Z]+(?:\.[a-zA-Z]+)+)"/g, /route\.(?:public|admin|endUser)\("([a-zA-Z]+(?:\.[a-zA-Z]+)+)"/g, /\{ name: "([a-zA-Z]+(?:\.[a-zA-Z]+)+)"/g]) {
  for (const m of source.matchAll(re)) names.add(m[1]!);
}

describe("labels for audit actions and job kinds", () => {
  it("finds the names it checks", () => {
    expect(names.size).toBeGreaterThan(60);
    expect(names).toContain("enrollment.goProfile");
  });

  for (const locale of LOCALES) {
    it(`every audit action and job kind has a ${locale} label`, () => {
      const c = catalog(locale) as { audit: { actions: Record<string, string> }; jobs: { kinds: Record<string, string> } };
      expect([...names].filter((n) => !c.audit.actions[n.replace(/\./g, "_")])).toEqual([]);
      expect(Object.values(JOB_KINDS).filter((k) => !c.jobs.kinds[k])).toEqual([]);
    });
  }
});
