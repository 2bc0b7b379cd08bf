import { dataDir } from "../lib/secrets";
import path from "node:path";
import { checkDatabase } from "../lib/db/check";
import { startEmbedded } from "../lib/db/embedded";

/** Runs fn against DATABASE_URL, or against the embedded database (in memory when asked). */
export async function withDatabase(fn: (url: string) => Promise<void>, opts: { memory?: boolean } = {}) {
  const given = process.env.DATABASE_URL;
  if (given && !opts.memory) {
    await checkDatabase(given);
    return fn(given);
  }
  const db = await startEmbedded(opts.memory ? null : path.join(dataDir(), "pglite"));
  try {
    await fn(db.url);
  } finally {
    await db.stop();
  }
}
