import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { StartupError } from "./check";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const lockFileOf = (dir: string) => path.join(dir, "..", path.basename(dir) + ".lock");

/** The live process (not this one) that has the data folder open, if any. */
export function embeddedInUse(dir: string): number | null {
  const lockFile = lockFileOf(dir);
  if (!existsSync(lockFile)) return null;
  const pid = Number(readFileSync(lockFile, "utf8"));
  return pid && pid !== process.pid && pidAlive(pid) ? pid : null;
}

/**
 * Serves PGlite over the Postgres wire protocol on a free loopback port.
 * `dir` null keeps it in memory. Only one process may open a data folder at a time.
 */
export async function startEmbedded(dir: string | null): Promise<EmbeddedDatabase> {
  let lockFile: string | undefined;
  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    lockFile = lockFileOf(dir);
    const pid = embeddedInUse(dir);
    if (pid) throw new StartupError(`The embedded database in ${dir} is already in use by process ${pid}: stop that Mamori first.`);
    writeFileSync(lockFile, String(process.pid));
  }
  // pg_trgm backs the device search's trigram indexes (migration device_indexes).
  const db = await PGlite.create(dir ?? "memory://", { extensions: { pg_trgm } });
  // More than one connection: with one, the query after any SQL error loses its connection.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 20 });
  await server.start();
  const port = server.getServerConn().split(":").at(-1);
  let stopped = false;
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      if (lockFile) rmSync(lockFile, { force: true });
    },
  };
}
