// npm test: unit + integration (Vitest), then build and end-to-end (Playwright in Debian's
// Chromium). Ends with the plain line "N passed, N failed" that CI reads.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createTestDatabase } from "../tests/support/test-database";
import { ensureBuilt } from "./build-state";

const args = process.argv.slice(2);
const only = args.find((a) => a === "--unit" || a === "--e2e");
let passed = 0;
let failed = 0;
// CI shows only the tail of the output: name every failure again just above the last line.
const failures: string[] = [];

function firstLine(text: unknown): string {
  return String(text ?? "").split("\n").find((l) => l.trim())?.trim().slice(0, 300) ?? "";
}

function vitestFailures(r: any) {
  for (const file of r?.testResults ?? []) {
    const rel = path.relative(process.cwd(), file.name ?? "");
    if (file.status === "failed" && !(file.assertionResults ?? []).some((a: any) => a.status === "failed")) failures.push(`${rel}: ${firstLine(file.message)}`);
    for (const a of file.assertionResults ?? []) if (a.status === "failed") failures.push(`${rel} › ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
  }
}

function playwrightFailures(suite: any, trail: string[] = []) {
  for (const spec of suite?.specs ?? []) {
    for (const t of spec.tests ?? []) {
      if (t.status === "expected" || t.status === "skipped") continue;
      const err = t.results?.find((x: any) => x.error)?.error?.message;
      failures.push(`${spec.file}:${spec.line} › ${[...trail, spec.title].join(" › ")} (${t.status}): ${firstLine(err)}`);
    }
  }
  for (const s of suite?.suites ?? []) playwrightFailures(s, [...trail, s.title]);
}

function run(bin: string, argv: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.resolve("node_modules", bin), ...argv], { stdio: "inherit", env: { ...process.env, ...env } }).status;
}

function readJson(file: string): any {
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
}

async function main() {
  mkdirSync("test-results", { recursive: true });
  if (only !== "--e2e") {
    rmSync("test-results/vitest.json", { force: true });
    const status = run("vitest/vitest.mjs", ["run", "--reporter=default", "--reporter=json", "--outputFile=test-results/vitest.json"]);
    const r = readJson("test-results/vitest.json");
    passed += r?.numPassedTests ?? 0;
    failed += r?.numFailedTests ?? 0;
    vitestFailures(r);
    if (status !== 0 && !r?.numFailedTests) failed += 1; // the runner itself broke
  }
  if (only !== "--unit") {
    await ensureBuilt();
    const db = await createTestDatabase();
    rmSync(".data-e2e", { recursive: true, force: true });
    rmSync("test-results/e2e.json", { force: true });
    try {
      const status = run("@playwright/test/cli.js", ["test", ...args.filter((a) => a !== "--e2e")], { E2E_DATABASE_URL: db.url, NEXT_TELEMETRY_DISABLED: "1" });
      const report = readJson("test-results/e2e.json");
      const s = report?.stats;
      for (const suite of report?.suites ?? []) playwrightFailures(suite);
      passed += s?.expected ?? 0;
      failed += (s?.unexpected ?? 0) + (s?.flaky ?? 0);
      if (status !== 0 && !s?.unexpected) failed += 1;
    } finally {
      await db.drop();
    }
  }
  if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `  ✗ ${f}`).join("\n")}`);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log(`\n${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
