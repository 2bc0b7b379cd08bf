// npm run rotate-key: re-seals every secret at rest under a new data key (lib/crypto/rotate).
// Stop Mamori first; start it again afterwards. With secrets.json the new key is recorded there
// before anything changes (as nextDataKey), so an interrupted run can be run again.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { resealAll } from "../lib/crypto/rotate";
import { dataDir, writeSecrets, type Secrets } from "../lib/secrets";
import { withDatabase } from "./database";

const key = (b64: string) => Buffer.from(b64, "base64");

async function rotate(url: string, from: string[], to: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await resealAll(client, from.map(key), key(to));
  } finally {
    await client.end();
  }
}

async function main() {
  const fromEnv = process.env.MAMORI_DATA_KEY;
  if (fromEnv) {
    const next = randomBytes(32).toString("base64");
    console.log(`New data key (set MAMORI_DATA_KEY to it on every instance once this finishes):\n${next}`);
    await withDatabase(async (url) => console.log(`Re-sealed ${await rotate(url, [fromEnv], next)} values.`));
    return;
  }
  const dir = dataDir();
  const file = path.join(dir, "secrets.json");
  if (!existsSync(file)) throw new Error(`${file} does not exist: nothing is sealed yet.`);
  const stored: Secrets = JSON.parse(readFileSync(file, "utf8"));
  const next = stored.nextDataKey ?? randomBytes(32).toString("base64");
  writeSecrets(dir, { ...stored, nextDataKey: next });
  await withDatabase(async (url) => console.log(`Re-sealed ${await rotate(url, [stored.dataKey], next)} values.`));
  const { nextDataKey: _, ...rest } = stored;
  writeSecrets(dir, { ...rest, dataKey: next });
  console.log(`The new data key is in ${file}. Back that file up; older backups of it no longer open this database.`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
