import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

// Reading prisma/migrations only: no schema engine, so the app can import this cheaply.
export const PRISMA_DIR = path.join(process.cwd(), "prisma");
export const MIGRATIONS_DIR = () => path.join(PRISMA_DIR, "migrations");

export interface MigrationDir {
  name: string;
  sql: string;
  /** Schema as of this migration; `db:diff` diffs against the newest one. */
  schema?: string;
}

export function readMigrations(): MigrationDir[] {
  if (!existsSync(MIGRATIONS_DIR())) return [];
  return readdirSync(MIGRATIONS_DIR(), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(MIGRATIONS_DIR(), d.name, "migration.sql")))
    .map((d) => {
      const dir = path.join(MIGRATIONS_DIR(), d.name);
      const snap = path.join(dir, "schema.prisma");
      return {
        name: d.name,
        sql: readFileSync(path.join(dir, "migration.sql"), "utf8"),
        schema: existsSync(snap) ? readFileSync(snap, "utf8") : undefined,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Name of the newest migration this build ships. */
export function latestMigration(): string | null {
  return readMigrations().at(-1)?.name ?? null;
}
