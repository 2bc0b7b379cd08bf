// npm start: secrets, database (given or embedded), migrations, build when needed, serve.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { dataDir, loadSecrets } from "../lib/secrets";
import { checkDatabase, StartupError } from "../lib/db/check";
import { startEmbedded, type EmbeddedDatabase } from "../lib/db/embedded";
import { migrate } from "../lib/db/migrate";
import { ensureBuilt } from "./build-state";

const dev = process.argv.includes("--dev");

function parsePort(raw: string | undefined): number {
  const port = Number(raw ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartupError(`PORT must be a number from 1 to 65535 (got "${raw}").`);
  return port;
}

function checkPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e: NodeJS.ErrnoException) =>
      reject(new StartupError(e.code === "EADDRINUSE"
        ? `Port ${port} is already in use: stop the other program or set PORT to a free port.`
        : `Cannot listen on ${host}:${port}: ${e.message}.`)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

async function main() {
  const port = parsePort(process.env.PORT);
  const host = process.env.HOST || "0.0.0.0";
  const dir = dataDir();
  const secrets = loadSecrets(dir);
  await checkPortFree(port, host);

  let embedded: EmbeddedDatabase | undefined;
  let url = process.env.DATABASE_URL;
  if (url) {
    await checkDatabase(url);
  } else {
    embedded = await startEmbedded(path.join(dir, "pglite"));
    url = embedded.url;
  }
  const stopDb = async () => { await embedded?.stop().catch(() => {}); };
  try {
    const applied = await migrate(url);
    if (applied.length) console.log(`Database migrated: ${applied.join(", ")}`);
    if (!dev) ensureBuilt();
  } catch (e) {
    await stopDb();
    throw e;
  }

  const child = spawn(process.execPath, [path.join("scripts", "server.mjs")], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: {
      ...process.env,
      DATABASE_URL: url,
      AUTH_SECRET: secrets.authSecret,
      MAMORI_DATA_KEY: secrets.dataKey,
      AUTH_TRUST_HOST: "true",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      HOST: host,
      MAMORI_DEV: dev ? "1" : "",
      // pglite-socket interleaves the protocol messages of concurrent connections outside a
      // transaction (seen: "unnamed prepared statement does not exist"), so one connection.
      ...(embedded ? { MAMORI_DB_POOL: "1" } : {}),
    },
  });
  child.on("message", (m: { ready?: boolean }) => {
    if (m.ready) console.log(`Mamori is running at http://localhost:${port} (database: ${embedded ? `embedded, in ${path.join(dir, "pglite")}` : "DATABASE_URL"})`);
  });
  let stopping = false;
  const stop = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    child.kill(sig);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  child.on("exit", async (code) => {
    await stopDb();
    process.exit(stopping ? 0 : (code ?? 1));
  });
}

main().catch((e) => {
  const msg = e instanceof StartupError ? e.userMessage : `Mamori could not start: ${(e as Error)?.message ?? e}`;
  console.error(msg);
  if (process.env.MAMORI_DEBUG && !(e instanceof StartupError)) console.error(e);
  process.exit(1);
});
