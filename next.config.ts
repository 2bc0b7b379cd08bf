import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // Device endpoints read raw bodies; keep server-only packages out of the bundle.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@electric-sql/pglite", "node-forge"],
  experimental: { serverActions: { bodySizeLimit: "2mb" } },
};

export default config;
