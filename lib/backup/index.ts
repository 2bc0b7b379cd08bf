import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { readMigrations } from "../db/migrations";
import type { Secrets } from "../secrets";
import { embeddedInUse } from "../db/embedded";

function notInUse(dir: string) {
  const pid = embeddedInUse(dir);
  if (pid) throw new BackupError(`Mamori (process ${pid}) has the embedded database open: stop it first.`);
}

// One backup file (a tar.gz) holds manifest.json, secrets.json and the database: a pg_dump
// archive for PostgreSQL, PGlite's own data-directory dump for the embedded database. The
// secrets travel with the data because sealed values cannot be opened without the data key:
// the file is as secret as the key itself.

const run = promisify(execFile);
export const FORMAT = 1;

export interface Manifest {
  format: number;
  kind: "postgresql" | "embedded";
  migration: string | null;
  createdAt: string;
}

export class BackupError extends Error {}

const DUMP = { postgresql: "database.dump", embedded: "pglite.tar.gz" } as const;

async function newestMigrationOf(client: { query: (sql: string) => Promise<{ rows: { name: string }[] }> }): Promise<string | null> {
  const { rows } = await client.query(`SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name DESC LIMIT 1`);
  return rows[0]?.name ?? null;
}

async function pack(file: string, dir: string) {
  await run("tar", ["-czf", path.resolve(file), "-C", dir, "."]);
}

/** Backs up the PostgreSQL at `url` with pg_dump (its custom format), plus the secrets. */
export async function backupPostgres(url: string, secrets: Secrets, file: string): Promise<Manifest> {
  const work = mkdtempSync(path.join(tmpdir(), "mamori-backup-"));
  try {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const migration = await newestMigrationOf(client).finally(() => client.end());
    await run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", path.join(work, DUMP.postgresql), url], { maxBuffer: 64 * 1024 * 1024 });
    return await finish(work, file, { format: FORMAT, kind: "postgresql", migration, createdAt: new Date().toISOString() }, secrets);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Backs up the embedded database in `pgliteDir` (Mamori stopped: it holds the folder). */
export async function backupEmbedded(pgliteDir: string, secrets: Secrets, file: string): Promise<Manifest> {
  if (!existsSync(pgliteDir)) throw new BackupError(`There is no embedded database in ${pgliteDir}.`);
  notInUse(pgliteDir);
  const work = mkdtempSync(path.join(tmpdir(), "mamori-backup-"));
  const db = await PGlite.create(pgliteDir, { extensions: { pg_trgm } });
  try {
    const migration = await newestMigrationOf(db as never);
    const dump = await db.dumpDataDir("gzip");
    writeFileSync(path.join(work, DUMP.embedded), Buffer.from(await dump.arrayBuffer()));
    return await finish(work, file, { format: FORMAT, kind: "embedded", migration, createdAt: new Date().toISOString() }, secrets);
  } finally {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function finish(work: string, file: string, manifest: Manifest, secrets: Secrets): Promise<Manifest> {
  writeFileSync(path.join(work, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  writeFileSync(path.join(work, "secrets.json"), JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  await pack(file, work);
  return manifest;
}

export interface Opened {
  manifest: Manifest;
  secrets: Secrets;
  dump: string;
  close(): void;
}

/** Unpacks a backup file and checks it is one this version can restore. */
export async function openBackup(file: string): Promise<Opened> {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist.`);
  const work = mkdtempSync(path.join(tmpdir(), "mamori-restore-"));
  const close = () => rmSync(work, { recursive: true, force: true });
  try {
    await run("tar", ["-xzf", path.resolve(file), "-C", work]).catch(() => {
      throw new BackupError(`${file} is not a Mamori backup (not a readable tar.gz).`);
    });
    const read = (name: string) => {
      const p = path.join(work, name);
      if (!existsSync(p)) throw new BackupError(`${file} is not a Mamori backup (${name} is missing).`);
      return p;
    };
    const manifest = JSON.parse(readFileSync(read("manifest.json"), "utf8")) as Manifest;
    if (manifest.format !== FORMAT) throw new BackupError(`This backup has format ${manifest.format}; this Mamori reads format ${FORMAT}.`);
    const known = readMigrations().map((m) => m.name);
    if (manifest.migration && !known.includes(manifest.migration)) {
      throw new BackupError(`This backup comes from a newer Mamori (migration ${manifest.migration}): update Mamori, then restore.`);
    }
    const secrets = JSON.parse(readFileSync(read("secrets.json"), "utf8")) as Secrets;
    return { manifest, secrets, dump: read(DUMP[manifest.kind]), close };
  } catch (e) {
    close();
    throw e;
  }
}

/** Restores a PostgreSQL backup into the (empty, unless `force`) database at `url`. */
export async function restorePostgres(b: Opened, url: string, opts: { force?: boolean } = {}): Promise<void> {
  if (b.manifest.kind !== "postgresql") throw new BackupError("This is a backup of the embedded database: restore it without DATABASE_URL.");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema IN ('public', 'pgboss')`);
    if (rows[0]!.n > 0) {
      if (!opts.force) throw new BackupError("The target database is not empty: restore into a new database, or add --force to replace its contents.");
      await client.query(`DROP SCHEMA IF EXISTS pgboss CASCADE; DROP SCHEMA public CASCADE; CREATE SCHEMA public`);
    }
  } finally {
    await client.end();
  }
  await run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--dbname", url, b.dump], { maxBuffer: 64 * 1024 * 1024 });
}

/** Restores an embedded backup into `pgliteDir` (absent or empty, unless `force`). */
export async function restoreEmbedded(b: Opened, pgliteDir: string, opts: { force?: boolean } = {}): Promise<void> {
  if (b.manifest.kind !== "embedded") throw new BackupError("This is a backup of a PostgreSQL database: restore it with DATABASE_URL set.");
  notInUse(pgliteDir);
  if (existsSync(pgliteDir) && readdirSync(pgliteDir).length > 0) {
    if (!opts.force) throw new BackupError(`${pgliteDir} already holds a database: restore into a new data directory, or add --force to replace it.`);
    rmSync(pgliteDir, { recursive: true, force: true });
  }
  mkdirSync(pgliteDir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create(pgliteDir, { extensions: { pg_trgm }, loadDataDir: new Blob([readFileSync(b.dump)]) });
  await db.close();
}

/** Where the restored secrets go: refused when a different data key is already there. */
export function restoreSecrets(b: Opened, dataDir: string, opts: { force?: boolean } = {}): void {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file) && !opts.force) {
    const current = JSON.parse(readFileSync(file, "utf8")) as Partial<Secrets>;
    if (current.dataKey && current.dataKey !== b.secrets.dataKey) {
      throw new BackupError(`${file} holds another data key: move it away, or add --force to replace it with the backup's.`);
    }
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(b.secrets, null, 2) + "\n", { mode: 0o600 });
}
