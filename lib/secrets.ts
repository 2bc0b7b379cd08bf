import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";

/** Where Mamori keeps its embedded database and generated secrets. */
export function dataDir(): string {
  return path.resolve(process.env.MAMORI_DATA_DIR || ".data");
}

export interface Secrets {
  authSecret: string;
  dataKey: string;
  /** Present only while `npm run rotate-key` is unfinished: the key being rotated to. */
  nextDataKey?: string;
}

/**
 * Secrets come from the environment when given, otherwise from `<dataDir>/secrets.json`,
 * generated on first run. Losing that file makes encrypted data unreadable: back it up.
 */
export function loadSecrets(dir: string, env: Record<string, string | undefined> = process.env): Secrets {
  const file = path.join(dir, "secrets.json");
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8"));
  const secrets: Secrets = {
    authSecret: env.AUTH_SECRET || stored.authSecret || randomBytes(32).toString("base64url"),
    dataKey: env.MAMORI_DATA_KEY || stored.dataKey || randomBytes(32).toString("base64"),
    ...(!env.MAMORI_DATA_KEY && stored.nextDataKey && { nextDataKey: stored.nextDataKey }),
  };
  const toStore = { ...stored };
  if (!env.AUTH_SECRET) toStore.authSecret = secrets.authSecret;
  if (!env.MAMORI_DATA_KEY) toStore.dataKey = secrets.dataKey;
  if (toStore.authSecret !== stored.authSecret || toStore.dataKey !== stored.dataKey) writeSecrets(dir, toStore);
  return secrets;
}

/** Replaces `<dir>/secrets.json` whole (written aside, then renamed: never half a file). */
export function writeSecrets(dir: string, secrets: Partial<Secrets>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "secrets.json");
  writeFileSync(`${file}.tmp`, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
