import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrate } from "../../lib/db/migrate";
import { startEmbedded } from "../../lib/db/embedded";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A migrated, throwaway database: a new database on the PostgreSQL named by
 * TEST_DATABASE_URL, or an in-memory PGlite when that is unset.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) {
    const db = await startEmbedded(null);
    await migrate(db.url);
    return { url: db.url, drop: () => db.stop() };
  }
  const name = `mamori_test_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
