import { defineConfig, devices } from "@playwright/test";
import path from "node:path";

// Run through `npm test` (scripts/test.ts), which builds the app and gives E2E_DATABASE_URL a
// fresh database. Chromium is Debian's, never a downloaded one.
const port = Number(process.env.E2E_PORT || 3210);
const baseURL = `http://127.0.0.1:${port}`;
// Google's Android Management API: tests/e2e/android.spec.ts starts a fake on this fixed port.
export const amapiPort = Number(process.env.E2E_AMAPI_PORT || 3235);
// Google's OIDC signing keys (JWKS) for Pub/Sub push tokens: tests/e2e/android-pubsub.spec.ts
// starts tests/support/fake-pubsub.ts on this fixed port.
export const jwksPort = Number(process.env.E2E_JWKS_PORT || amapiPort + 50);

export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  use: {
    baseURL,
    locale: "en-US",
    timezoneId: "Asia/Tokyo",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  // First-run setup needs a database nobody has set up: it runs before every other spec, then the
  // install walk (install-walk.spec.ts) while there is still no device, push certificate or mail.
  projects: [
    { name: "first-run", testMatch: /(foundation|install-walk)\.spec\.ts/, use: { ...devices["Desktop Chrome"], channel: undefined } },
    { name: "features", testIgnore: /(foundation|install-walk)\.spec\.ts/, dependencies: ["first-run"], use: { ...devices["Desktop Chrome"], channel: undefined } },
  ],
  webServer: {
    command: "npx tsx scripts/start.ts",
    url: `${baseURL}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? "",
      MAMORI_DATA_DIR: path.resolve(".data-e2e"),
      NEXT_TELEMETRY_DISABLED: "1",
      // The dashboard's trend charts live, not a minute old: specs seed and look at once.
      MAMORI_CHART_CACHE_MS: "0",
      // Apple's services are out of reach here; point them at a closed local port.
      DEP_URL: "http://127.0.0.1:9",
      // The simulator speaks plain http to the server under test.
      MAMORI_ALLOW_HTTP_MDM: "1",
      APNS_URL: "https://127.0.0.1:9",
      // Test-only trust root for MDM vendor certificates: tests/e2e/push-certificates.spec.ts writes it.
      MAMORI_APPLE_TRUST_ROOTS_FILE: path.resolve(".data-e2e/test-apple-roots.pem"),
      AMAPI_URL: `http://127.0.0.1:${amapiPort}`,
      GOOGLE_OAUTH_TOKEN_URL: `http://127.0.0.1:${amapiPort}/token`,
      GOOGLE_OIDC_CERTS_URL: `http://127.0.0.1:${jwksPort}/oauth2/v3/certs`,
    },
  },
});
