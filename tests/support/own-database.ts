import { afterAll, beforeAll } from "vitest";
import { disconnect } from "@/lib/db/client";
import { stopJobs } from "@/lib/jobs/queue";
import { createTestDatabase, type TestDatabase } from "./test-database";

/**
 * Gives the calling test file an empty, migrated database of its own (for tests that need
 * empty tables) and points lib/db at it; dropped after the file. Call at the top level.
 */
export function useOwnDatabase(): { readonly url: string } {
  const state = { url: "" };
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await disconnect();
    process.env.DATABASE_URL = state.url = db.url;
  });
  afterAll(async () => {
    await stopJobs();
    await disconnect();
    await db.drop();
  });
  return state;
}
