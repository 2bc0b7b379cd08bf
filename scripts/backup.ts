// npm run backup [-- <file>]      the database and its secrets in one tar.gz (lib/backup)
// npm run restore -- <file> [--force]   into DATABASE_URL, or into the embedded data directory
import path from "node:path";
import { backupEmbedded, backupPostgres, BackupError, openBackup, restoreEmbedded, restorePostgres, restoreSecrets } from "../lib/backup";
import { migrate } from "../lib/db/migrate";
import { dataDir, loadSecrets } from "../lib/secrets";
import { withDatabase } from "./database";

async function backup(file: string) {
  const dir = dataDir();
  const secrets = loadSecrets(dir);
  const url = process.env.DATABASE_URL;
  const m = url ? await backupPostgres(url, secrets, file) : await backupEmbedded(path.join(dir, "pglite"), secrets, file);
  console.log(`Backed up the ${m.kind === "embedded" ? "embedded database" : "PostgreSQL database"} (migration ${m.migration}) and its secrets to ${file}.`);
  console.log("Keep this file as safe as the data key: it opens every sealed secret.");
}

async function restore(file: string, force: boolean) {
  const b = await openBackup(file);
  try {
    const dir = dataDir();
    const url = process.env.DATABASE_URL;
    if (url) await restorePostgres(b, url, { force });
    else await restoreEmbedded(b, path.join(dir, "pglite"), { force });
    restoreSecrets(b, dir, { force });
    if (process.env.MAMORI_DATA_KEY && process.env.MAMORI_DATA_KEY !== b.secrets.dataKey) {
      console.log(`MAMORI_DATA_KEY is set and differs from the backup's key: set it to the dataKey in ${path.join(dir, "secrets.json")}.`);
    }
    await withDatabase(async (u) => {
      const applied = await migrate(u);
      if (applied.length) console.log(`Migrated: ${applied.join(", ")}`);
    });
    console.log(`Restored ${file} (taken ${b.manifest.createdAt}). Start Mamori.`);
  } finally {
    b.close();
  }
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const force = rest.includes("--force");
  const file = rest.find((a) => !a.startsWith("--"));
  if (cmd === "backup") return backup(file ?? `mamori-backup-${new Date().toISOString().replace(/[:.]/g, "-")}.tar.gz`);
  if (cmd === "restore" && file) return restore(file, force);
  throw new BackupError("Usage: npm run backup [-- <file>] | npm run restore -- <file> [--force]");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof BackupError || e?.userMessage ? (e.userMessage ?? e.message) : e);
    process.exit(1);
  },
);
