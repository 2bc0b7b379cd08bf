import pg from "pg";

/** An error whose message is one sentence meant for the person starting Mamori. */
export class StartupError extends Error {
  readonly userMessage: string;
  constructor(message: string) {
    super(message);
    this.userMessage = message;
  }
}

/** Validates a DATABASE_URL's form without connecting. */
export function parseDatabaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StartupError(`DATABASE_URL is not a valid URL: expected postgresql://user:password@host:5432/database.`);
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new StartupError(`DATABASE_URL must start with postgresql:// (got ${url.protocol}//).`);
  }
  if (!url.hostname) throw new StartupError("DATABASE_URL has no host name.");
  return url;
}

function where(url: URL): string {
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** Connects once and explains a failure in one sentence. */
export async function checkDatabase(raw: string): Promise<void> {
  const url = parseDatabaseUrl(raw);
  const client = new pg.Client({ connectionString: raw, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { code?: string };
    const reasons: Record<string, string> = {
      ECONNREFUSED: "nothing is listening there",
      ENOTFOUND: "the host name is unknown",
      EAI_AGAIN: "the host name could not be resolved",
      ETIMEDOUT: "the connection timed out",
      "28P01": "the password was refused",
      "28000": "the user is not allowed to connect",
      "3D000": "that database does not exist",
    };
    const why = reasons[err.code ?? ""] ?? (err.message || String(e)).split("\n")[0];
    throw new StartupError(`Cannot reach the database at ${where(url)}: ${why}.`);
  } finally {
    await client.end().catch(() => {});
  }
}
