// npm run db:migrate            apply prisma/migrations to DATABASE_URL (or the embedded database)
// npm run db:diff -- <name>     write prisma/migrations/<timestamp>_<name> from schema.prisma
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { migrate, diffSql, PRISMA_DIR } from "../lib/db/migrate";
import { withDatabase } from "./database";

async function main() {
  const [cmd, name] = process.argv.slice(2);
  if (cmd === "migrate") {
    await withDatabase(async (url) => {
      const applied = await migrate(url);
      console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
    });
  } else if (cmd === "diff") {
    if (!name || !/^[a-z0-9_]+$/.test(name)) throw new UsageError("Usage: npm run db:diff -- <name> (lower-case letters, digits, _)");
    // Schema-to-schema diff needs no live schema, but the engine wants a connection.
    await withDatabase(async (url) => {
      const sql = await diffSql(url);
      if (!sql) return console.log("schema.prisma matches the newest migration: nothing to write.");
      const ts = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
      const dir = path.join(PRISMA_DIR, "migrations", `${ts}_${name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "migration.sql"), sql);
      writeFileSync(path.join(dir, "schema.prisma"), readFileSync(path.join(PRISMA_DIR, "schema.prisma")));
      const lock = path.join(PRISMA_DIR, "migrations", "migration_lock.toml");
      if (!existsSync(lock)) writeFileSync(lock, 'provider = "postgresql"\n');
      console.log(`Wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
    }, { memory: true });
  } else {
    throw new UsageError("Usage: npm run db:migrate | npm run db:diff -- <name>");
  }
}

class UsageError extends Error {}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof UsageError || e?.userMessage ? (e.userMessage ?? e.message) : e);
    process.exit(1);
  },
);
