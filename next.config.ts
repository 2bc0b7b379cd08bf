import type { NextConfig } from "next";

// Browser hardening on every page and route (device endpoints are answered before Next.js, by
// scripts/server.mjs with the same headers). The Content-Security-Policy carries a nonce per
// request, so proxy.ts sets it.
const SECURITY_HEADERS = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
];

const config: NextConfig = {
  poweredByHeader: false,
  async headers() {
    return [
      { source: "/:path*", headers: SECURITY_HEADERS },
      // One-time links carry their token in the path or query: no Referer may take it elsewhere.
      ...["/go", "/go/:path*", "/enroll/:path*", "/email-change/:path*", "/reset-password/:path*"].map((source) => ({ source, headers: [{ key: "Referrer-Policy", value: "no-referrer" }] })),
      // Behind the TLS proxy (README "TLS"); browsers ignore HSTS received over plain http anyway.
      { source: "/:path*", has: [{ type: "header" as const, key: "x-forwarded-proto", value: "https" }], headers: [{ key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" }] },
    ];
  },
  // The app's own files only: tests and scripts are checked by `npm run typecheck`.
  typescript: { tsconfigPath: "tsconfig.next.json" },
  // Device endpoints read raw bodies; keep server-only packages out of the bundle.
  serverExternalPackages: ["pg", "pg-boss", "@prisma/adapter-pg", "@electric-sql/pglite", "@prisma/schema-engine-wasm", "node-forge"],
  experimental: { serverActions: { bodySizeLimit: "2mb" }, authInterrupts: true },
};

export default config;
