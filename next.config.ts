import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // The app's own files only: tests and scripts are checked by `npm run typecheck`.
  typescript: { tsconfigPath: "tsconfig.next.json" },
  // Device endpoints read raw bodies; keep server-only packages out of the bundle.
  serverExternalPackages: ["pg", "pg-boss", "@prisma/adapter-pg", "@electric-sql/pglite", "@prisma/schema-engine-wasm", "node-forge"],
  experimental: { serverActions: { bodySizeLimit: "2mb" }, authInterrupts: true },
};

export default config;
