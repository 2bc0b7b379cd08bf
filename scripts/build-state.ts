import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { StartupError } from "../lib/db/check";
import { DEVICE_BUNDLE, buildDeviceEndpoint } from "./build-device";

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
  if (!existsSync(path.join(".next", "BUILD_ID")) || !existsSync(STAMP) || !existsSync(DEVICE_BUNDLE)) return false;
  return JSON.parse(readFileSync(STAMP, "utf8")).hash === sourceHash();
}

export function markBuilt(): void {
  writeFileSync(STAMP, JSON.stringify({ hash: sourceHash(), at: new Date().toISOString() }));
}

/** Runs `next build` and bundles the device endpoints, unless the last build is of the same sources. */
export async function ensureBuilt(): Promise<void> {
  if (buildIsCurrent()) return;
  console.log("Building Mamori (first start or changed sources; about a minute)…");
  const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
  // Turbopack refuses a node_modules outside the project folder (a symlink, as in git worktrees
  // sharing one install: "Could not find the Next.js package"); webpack follows the link.
  const linked = existsSync("node_modules") && lstatSync("node_modules").isSymbolicLink();
  const r = spawnSync(process.execPath, [nextBin, "build", ...(linked ? ["--webpack"] : [])], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (r.status !== 0) throw new StartupError("The build failed; see the messages above.");
  await buildDeviceEndpoint();
  markBuilt();
}
