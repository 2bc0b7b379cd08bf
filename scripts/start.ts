// npm start: secrets, database (given or embedded), migrations, build when needed, then one
// server process per core (node:cluster shares the port), restarted when one dies.
import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import path from "node:path";
import { dataDir, loadSecrets } from "../lib/secrets";
import { checkDatabase, StartupError } from "../lib/db/check";
import { startEmbedded, type EmbeddedDatabase } from "../lib/db/embedded";
import pg from "pg";
import { migrate } from "../lib/db/migrate";
import { sealPlainValues } from "../lib/crypto/rotate";
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

/** MAMORI_WORKERS as asked for (undefined: one per core); checked before anything starts. */
function parseWorkers(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new StartupError(`MAMORI_WORKERS must be a whole number of 1 or more (got "${raw}").`);
  return n;
}

/** Server processes: as asked, else one per core; always 1 on the embedded database or in dev. */
function workerCount(requested: number | undefined, embedded: boolean, dev: boolean): number {
  // PGlite serves every connection in one single-threaded session: more processes only queue.
  if (embedded || dev) return 1;
  return requested ?? availableParallelism();
}

// A worker that keeps dying right after starting is a configuration problem, not bad luck.
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/** Mail bodies of older versions were stored in clear: sealed before anything serves (lib/crypto/rotate.ts). */
async function sealLegacyValues(url: string, dataKey: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await sealPlainValues(client, Buffer.from(dataKey, "base64"));
  } finally {
    await client.end();
  }
}

async function main() {
  const port = parsePort(process.env.PORT);
  const requestedWorkers = parseWorkers(process.env.MAMORI_WORKERS);
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
    const sealed = await sealLegacyValues(url, secrets.dataKey);
    if (sealed) console.log(`Sealed ${sealed} values an earlier version stored in clear.`);
    if (!dev) await ensureBuilt();
  } catch (e) {
    await stopDb();
    throw e;
  }

  const workers = workerCount(requestedWorkers, !!embedded, dev);
  if (embedded && (requestedWorkers ?? 1) > 1) console.log("The embedded database serves one process: starting 1 worker (set DATABASE_URL for more).");
  // A bounded old generation makes V8 collect before a process grows past a few hundred MB;
  // left alone it lets garbage pile up toward a quarter of the machine's memory per process.
  // MAMORI_CPU_PROF_DIR (benchmarks): each worker writes a V8 CPU profile there when it stops.
  const profile = process.env.MAMORI_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.MAMORI_CPU_PROF_DIR)}`] : [];
  cluster.setupPrimary({ exec: path.resolve("scripts", "server.mjs"), execArgv: [`--max-old-space-size=${heapMb()}`, ...profile] });
  const env = {
    DATABASE_URL: url,
    AUTH_SECRET: secrets.authSecret,
    MAMORI_DATA_KEY: secrets.dataKey,
    ...(secrets.nextDataKey && { MAMORI_DATA_KEY_NEXT: secrets.nextDataKey }),
    AUTH_TRUST_HOST: "true",
    NEXT_TELEMETRY_DISABLED: "1",
    PORT: String(port),
    HOST: host,
    MAMORI_DEV: dev ? "1" : "",
    // pglite-socket interleaves the protocol messages of concurrent connections outside a
    // transaction (seen: "unnamed prepared statement does not exist"), so one connection.
    ...(embedded ? { MAMORI_DB_POOL: "1" } : {}),
  };

  let stopping = false;
  let exitCode = 0;
  let ready = 0;
  const restarts: number[] = [];
  const fork = (): Worker => {
    const w = cluster.fork(env);
    w.on("message", (m: { ready?: boolean }) => {
      if (m?.ready && ++ready === workers) {
        console.log(`Mamori is running at http://localhost:${port} with ${workers} worker${workers > 1 ? "s" : ""} (database: ${embedded ? `embedded, in ${path.join(dir, "pglite")}` : "DATABASE_URL"})`);
      }
    });
    return w;
  };
  const finish = async (code: number) => {
    await stopDb();
    process.exit(code);
  };
  cluster.on("exit", (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) void finish(exitCode);
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length > MAX_RESTARTS) {
      console.error(`Mamori stopped: server processes exited ${restarts.length} times within a minute (last: ${signal ?? `code ${code}`}).`);
      stopping = true;
      exitCode = 1;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill("SIGTERM");
      if (Object.keys(cluster.workers ?? {}).length === 0) void finish(exitCode);
      return;
    }
    console.error(`A server process (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting another.`);
    fork();
  });
  const stop = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const alive = Object.values(cluster.workers ?? {});
    if (alive.length === 0) return void finish(0);
    for (const w of alive) w?.process.kill(sig);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  for (let i = 0; i < workers; i++) fork();
}

main().catch((e) => {
  const msg = e instanceof StartupError ? e.userMessage : `Mamori could not start: ${(e as Error)?.message ?? e}`;
  console.error(msg);
  if (process.env.MAMORI_DEBUG && !(e instanceof StartupError)) console.error(e);
  process.exit(1);
});

/** Old-generation limit per server process (MAMORI_HEAP_MB, default 256 MB). */
function heapMb(): number {
  const n = Number(process.env.MAMORI_HEAP_MB);
  return Number.isInteger(n) && n >= 128 ? n : 256;
}
