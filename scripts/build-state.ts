import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

// Rebuild only when what goes into the build changed since the last one.
const INPUTS = ["app", "components", "lib", "public", "proxy.ts", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json"];
const STAMP = path.join(".next", "mamori-build.json");

function files(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p).sort().flatMap((f) => files(path.join(p, f)));
}

export function sourceHash(): string {
  const h = createHash("sha256");
  for (const f of INPUTS.flatMap(files)) h.update(f).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex");
}

export function buildIsCurrent(): boolean {
  if (!existsSync(path.join(".next", "BUILD_ID")) || !existsSync(STAMP)) return false;
  return JSON.parse(readFileSync(STAMP, "utf8")).hash === sourceHash();
}

export function markBuilt(): void {
  writeFileSync(STAMP, JSON.stringify({ hash: sourceHash(), at: new Date().toISOString() }));
}
