import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import path from "node:path";

// The processes the benchmark starts: the production server (through npm start's script, so
// the cluster, migrations and build check are the real ones) and the APNs fake.

export interface Running {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

const TSX = path.resolve("node_modules/tsx/dist/cli.mjs");

function run(script: string, env: Record<string, string>, readyPattern: RegExp, timeoutMs: number): Promise<Running & { match: RegExpMatchArray }> {
  // detached: a process group of its own, so that a stuck tree (tsx, start.ts, workers) can be killed whole.
  const child = spawn(process.execPath, [TSX, script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, output: () => out, stop, match: m });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

export async function startServer(env: Record<string, string>): Promise<Running> {
  // Build and start-up: up to a few minutes on a first run.
  return run("scripts/start.ts", env, /Mamori is running/, 300_000);
}

export async function startFakeApnsProcess(files: { ca: string; cert: string; key: string }): Promise<Running & { url: string }> {
  const r = await run("scripts/bench/fake-apns-process.ts", { FAKE_APNS_CA: files.ca, FAKE_APNS_CERT: files.cert, FAKE_APNS_KEY: files.key }, /\{"url":"([^"]+)"\}/, 60_000);
  return { ...r, url: r.match[1]! };
}

export interface ProcessStats {
  pid: number;
  statements: number;
  rss: number;
}

function getStats(port: number): Promise<ProcessStats> {
  return new Promise((resolve, reject) => {
    // A new connection per call, so that the cluster may hand it to any worker.
    const req = request({ host: "127.0.0.1", port, path: "/__mamori/stats", agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as ProcessStats);
        } catch {
          reject(new Error(`/__mamori/stats answered ${res.statusCode}: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Statement counts and RSS of every server process (asks until each of `workers` answered). */
export async function allStats(port: number, workers: number): Promise<ProcessStats[]> {
  const seen = new Map<number, ProcessStats>();
  for (let i = 0; i < workers * 30 && seen.size < workers; i++) {
    const s = await getStats(port);
    seen.set(s.pid, s);
  }
  if (seen.size < workers) throw new Error(`only ${seen.size} of ${workers} server processes answered`);
  return [...seen.values()];
}
