import pg from "pg";
import { hashPassword } from "../../lib/auth/password";

// The e2e database is the one the server under test uses (scripts/test.ts makes it).
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** An end user as the Users issue will create them; seeded directly until that UI exists. */
export async function createEndUser(email: string, password: string, name = "Hanako Sato") {
  await sql(
    `INSERT INTO users (id, email, display_name, role, password_hash, updated_at)
     VALUES (gen_random_uuid(), $1, $2, 'END_USER', $3, now()) ON CONFLICT (email) DO NOTHING`,
    [email, name, await hashPassword(password)],
  );
}

/** An admin of the spec's own, so a spec does not depend on another having run setup. */
export async function createAdmin(email: string, password: string, name = "Certificate Admin") {
  await sql(`INSERT INTO settings (key, value, updated_at) VALUES ('setup.completed', '{}', now()) ON CONFLICT (key) DO NOTHING`);
  await sql(
    `INSERT INTO users (id, email, display_name, role, password_hash, updated_at)
     VALUES (gen_random_uuid(), $1, $2, 'ADMIN', $3, now()) ON CONFLICT (email) DO NOTHING`,
    [email, name, await hashPassword(password)],
  );
}

/** Rows of mail_messages with their sealed bodies opened, with the server's data key. */
export async function mailSql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const { readFileSync } = await import("node:fs");
  const { openMail } = await import("../../lib/mail/open");
  process.env.MAMORI_DATA_KEY ||= JSON.parse(readFileSync(".data-e2e/secrets.json", "utf8")).dataKey;
  return (await sql<T>(text, values)).map((r) => openMail(r as never) as unknown as T);
}

/** A value sealed as the server under test seals it (its data key, `context` as in lib/crypto/sealed-columns.ts). */
export async function sealForServer(plain: string, context: string): Promise<string> {
  const { readFileSync } = await import("node:fs");
  const { seal } = await import("../../lib/crypto");
  process.env.MAMORI_DATA_KEY ||= JSON.parse(readFileSync(".data-e2e/secrets.json", "utf8")).dataKey;
  return seal(plain, context);
}
