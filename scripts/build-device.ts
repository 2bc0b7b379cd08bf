// Bundles the device endpoints (lib/mdm/node-endpoint.ts) for scripts/server.mjs, which serves
// them ahead of Next.js. Packages stay external, so pg, pg-boss and node-forge are the very
// modules the Next.js server uses (serverExternalPackages), and state kept on globalThis (the
// database pool, the job engine, the identity cache) is shared with it.
import { build } from "esbuild";
import path from "node:path";

export const DEVICE_BUNDLE = path.join(".next", "mamori-device.mjs");

export async function buildDeviceEndpoint(): Promise<void> {
  await build({
    entryPoints: ["lib/mdm/node-endpoint.ts"],
    outfile: DEVICE_BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    tsconfig: "tsconfig.json",
    logLevel: "warning",
    legalComments: "none",
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await buildDeviceEndpoint();
