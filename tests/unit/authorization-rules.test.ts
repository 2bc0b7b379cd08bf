import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Every door declares its rule beside it, through the one guard (lib/auth/guard.ts): pages with
// view.<rule>(), route handlers with route.<rule>(), server actions with action.<rule>(). A new
// page, route method or server action without one fails here. tests/e2e/authorization.spec.ts
// then tries these rules over HTTP as each kind of visitor.

const APP = path.resolve("app");
const RULES = "public|user|endUser|admin";
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const files = walk(APP);
const rel = (p: string) => path.relative(process.cwd(), p);
const src = (p: string) => readFileSync(p, "utf8");

/** Page files and their declared rules (the view.* call each makes). */
function pageRules(): Record<string, string[]> {
  return Object.fromEntries(files.filter((f) => f.endsWith("/page.tsx")).map((f) => [rel(f), [...src(f).matchAll(new RegExp(`\\bview\\.(${RULES})\\(`, "g"))].map((m) => m[1]!)]));
}

describe("every door declares its rule", () => {
  it("every page calls exactly one view.<rule>()", () => {
    const pages = pageRules();
    expect(Object.keys(pages).length).toBeGreaterThan(30);
    expect(Object.entries(pages).filter(([, rules]) => rules.length !== 1).map(([f]) => f)).toEqual([]);
  });

  it("every exported route method is route.<rule>() or route.device()", () => {
    const routes = files.filter((f) => f.endsWith("/route.ts"));
    expect(routes.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const f of routes) {
      for (const m of src(f).matchAll(/^export\s+(?:async\s+)?(?:const|function|let)\s+(\w+)(.*)$/gm)) {
        const [, name, rest] = m;
        if (name === "dynamic" || name === "runtime" || name === "revalidate") continue;
        const declared = new RegExp(`^\\s*=\\s*route\\.(${RULES}|device)\\(`).test(rest!);
        if (!METHODS.includes(name!) || !declared) bad.push(`${rel(f)}: ${name}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("every server action is action.<rule>() and nothing else is exported as a function", () => {
    const actionFiles = files.filter((f) => /\.tsx?$/.test(f) && /^["']use server["'];?/m.test(src(f).split("\n").slice(0, 3).join("\n")));
    expect(actionFiles.length).toBeGreaterThan(15);
    const bad: string[] = [];
    let count = 0;
    for (const f of actionFiles) {
      for (const m of src(f).matchAll(/^export\s+(async\s+function|function|const|let)\s+(\w+)(.*)$/gm)) {
        const [, kind, name, rest] = m;
        if (kind === "const" && new RegExp(`^\\s*=\\s*action\\.(${RULES})\\(`).test(rest!)) count++;
        else bad.push(`${rel(f)}: ${name}`);
      }
    }
    expect(bad).toEqual([]);
    expect(count).toBeGreaterThan(40);
  });

  it("no door uses a way of its own: the session is read through the guard only", () => {
    const direct = files
      .filter((f) => /\.(ts|tsx)$/.test(f))
      .filter((f) => /\bcurrentUser\(\)|from "@\/lib\/auth\/session"/.test(src(f)))
      .map(rel);
    expect(direct).toEqual([]);
  });
});
