import { afterAll, inject } from "vitest";
import { stopJobs } from "@/lib/jobs/queue";

process.env.DATABASE_URL = inject("databaseUrl");
process.env.MAMORI_DATA_KEY ||= inject("dataKey");
process.env.AUTH_SECRET ||= "test-secret-test-secret-test-secret";
// Same reason as scripts/start.ts: one connection to an embedded PGlite.
if (!process.env.TEST_DATABASE_URL) process.env.MAMORI_DB_POOL = "1";

// A test that sent a job started this process's engine: stop it before the database goes.
afterAll(() => stopJobs());
