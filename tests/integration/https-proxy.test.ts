import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "@/scripts/build-state";
import { startServer, type Running } from "@/scripts/bench/processes";
import { freePort } from "@/tests/support/listen";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

// Behind a TLS proxy that Mamori trusts (MAMORI_TRUSTED_PROXIES=1), an https request gets HSTS on
// pages and on the device answers made before Next.js; plain http through the same proxy does not.
// (tests/e2e/hardening.spec.ts checks the other half: without a trusted proxy, a claim of https is ignored.)

const tmp = mkdtempSync(path.join(tmpdir(), "mamori-https-"));
let server: Running | undefined;
let db: TestDatabase | undefined;
let base = "";

describe.skipIf(!process.env.TEST_DATABASE_URL)("behind a trusted https proxy", () => {
  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = await startServer({ DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1", MAMORI_WORKERS: "1", MAMORI_TRUSTED_PROXIES: "1", MAMORI_DATA_DIR: path.join(tmp, "data") });
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const HSTS = "max-age=31536000; includeSubDomains";

  it("pages and device answers carry HSTS when the proxy says https, and only then", async () => {
    const page = await fetch(`${base}/login`, { headers: { "x-forwarded-proto": "https" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("strict-transport-security")).toBe(HSTS);
    const device = await fetch(`${base}/api/mdm/checkin`, { method: "PUT", body: "not a plist", headers: { "x-forwarded-proto": "https" } });
    expect(device.status).toBe(400);
    expect(device.headers.get("strict-transport-security")).toBe(HSTS);
    for (const url of ["/login", "/api/health"]) {
      const plain = await fetch(`${base}${url}`, { headers: { "x-forwarded-proto": "http" } });
      expect(plain.headers.get("strict-transport-security"), url).toBeNull();
    }
  });
});
