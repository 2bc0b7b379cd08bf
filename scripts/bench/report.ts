import { execSync } from "node:child_process";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";

// Measurements against their targets, printed and appended to docs/BENCHMARKS.md.

export interface Result {
  name: string;
  value: number;
  unit: string;
  /** Undefined: reported, no target. */
  target?: number;
  higherIsBetter?: boolean;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function met(r: Result): boolean {
  if (r.target === undefined) return true;
  if (!Number.isFinite(r.value)) return false;
  return r.higherIsBetter ? r.value >= r.target : r.value <= r.target;
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) : "n/a");
const goal = (r: Result) => (r.target === undefined ? "" : `${r.higherIsBetter ? "≥" : "≤"} ${r.target}`);

export function print(results: Result[]): void {
  for (const r of results) {
    const mark = r.target === undefined ? "    " : met(r) ? "ok  " : "MISS";
    console.log(`${mark} ${r.name.padEnd(46)} ${fmt(r.value).padStart(9)} ${r.unit.padEnd(12)} ${goal(r) && `(target ${goal(r)})`}`);
  }
}

const HEADER = `# Benchmarks

\`npm run bench\` measures Mamori the way devices and administrators load it: it makes a
throwaway database on the PostgreSQL named by \`TEST_DATABASE_URL\`, starts the production
server (\`npm start\`'s cluster of \`scripts/server.mjs\`) on 127.0.0.1 with
\`MAMORI_ALLOW_HTTP_MDM=1\` and \`MAMORI_SQL_COUNT=1\`, enrolls simulated iPhones over the public
protocol (profile, SCEP, Authenticate, TokenUpdate), queues 10 DeviceInformation per device
and drains them with 32 devices answering at once, pushes 10,000 devices to a local HTTP/2
fake of APNs, and times device requests while an administrator-style bulk enqueue for 10,000
devices runs. Every run appends its figures below with the date and commit; a run that misses
a target exits 1. The load generator runs on the same machine, so its own CPU (signing every
request) is part of the picture: compare runs on the same kind of machine only.

`;

export function append(file: string, title: string, settings: string, results: Result[]): void {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
    if (execSync("git status --porcelain --untracked-files=no", { encoding: "utf8" }).trim()) commit += " (with uncommitted changes)";
  } catch {
    // not a git checkout
  }
  const rows = results.map((r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${goal(r)} | ${r.target === undefined ? "" : met(r) ? "ok" : "**miss**"} |`);
  appendFileSync(file, [`## ${title}, commit ${commit}`, "", settings, "", "| measurement | value | target | |", "|---|---|---|---|", ...rows, "", ""].join("\n"));
}
