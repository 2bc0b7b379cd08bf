import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "@/scripts/build-state";
import { freePort } from "@/tests/support/listen";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

// `npm start` with several server processes on a throwaway PostgreSQL database: each process
// serves, a killed one is replaced, SIGTERM stops them all. Needs a build (made if missing).

const tmp = mkdtempSync(path.join(tmpdir(), "mamori-workers-"));
beforeAll(() => ensureBuilt(), 300_000); // once, before any start-up is timed
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


function get(port: number, p: string, agent: Agent | false = false): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    // agent: false, so every call is a new connection and cluster may hand it to any worker.
    const req = request({ host: "127.0.0.1", port, path: p, agent }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    // Bounded: a connection handed to a worker that just died may never be answered.
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${p} timed out`)));
    req.end();
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

async function start(env: Record<string, string | undefined>): Promise<Started> {
  // detached: its own process group, so a failed test can kill the whole tree (tsx, start.ts, workers).
  // tsx as a loader, not its CLI: the CLI relays signals to a child of its own, and under load that
  // relay sometimes ended start.ts by the signal itself (exit 143) before its handler ran.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    detached: true,
    env: { ...process.env, MAMORI_DATA_DIR: path.join(tmp, "data"), HOST: "127.0.0.1", MAMORI_SQL_COUNT: "1", ...env },
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 150_000; // Next starting two processes on a busy 2-core machine
  while (!/Mamori is running/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
      throw new Error(`start-up failed:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out, exited };
}

/** Asks new connections until `n` different server processes have answered (bounded). */
async function pids(port: number, n: number, tries = 40): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < tries && seen.size < n; i++) {
    const r = await get(port, "/__mamori/stats").catch(() => undefined);
    if (r?.status === 200) seen.add((JSON.parse(r.body) as { pid: number }).pid);
  }
  return seen;
}

const parentOf = (pid: number) => Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
/** Whether `pid` descends from `ancestor` (within three generations). */
const descendsFrom = (pid: number, ancestor: number) => [1, 2, 3].reduce((p, _) => (p === ancestor || p <= 1 ? p : parentOf(p)), parentOf(pid)) === ancestor;
const alive = (pid: number) => existsSync(`/proc/${pid}`);

describe.skipIf(!process.env.TEST_DATABASE_URL)("several server processes", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("MAMORI_WORKERS=2: both serve, a killed one is replaced, SIGTERM stops all cleanly", async () => {
    const port = await freePort();
    const s = await start({ DATABASE_URL: db.url, PORT: String(port), MAMORI_WORKERS: "2" });
    try {
      expect(s.output()).toContain("with 2 workers");
      const first = await pids(port, 2);
      expect(first.size).toBe(2);
      for (const pid of first) expect(descendsFrom(pid, s.child.pid!)).toBe(true);

      const keepAlive = new Agent({ keepAlive: true });
      const health = await get(port, "/api/health", keepAlive);
      keepAlive.destroy();
      expect(health.status).toBe(200);
      expect(health.headers["keep-alive"]).toBe("timeout=65"); // outlives a load balancer's 60 s

      const [victim, survivor] = [...first];
      process.kill(victim!, "SIGKILL");
      const deadline = Date.now() + 60_000;
      let now = new Set<number>();
      while (Date.now() < deadline) {
        now = await pids(port, 2, 10).catch(() => new Set<number>());
        if (now.size === 2 && !now.has(victim!)) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(now.has(survivor!)).toBe(true);
      expect(now.has(victim!)).toBe(false);
      expect(now.size).toBe(2);
      expect(s.output()).toMatch(/exited \(SIGKILL\); starting another/);

      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
      for (const pid of now) expect(alive(pid)).toBe(false);
    } finally {
      if (s.child.exitCode === null) process.kill(-s.child.pid!, "SIGKILL");
    }
  }, 300_000);
});

describe("embedded database", () => {
  it("runs exactly one server process even when more are asked for", async () => {
    const port = await freePort();
    const s = await start({ DATABASE_URL: "", PORT: String(port), MAMORI_WORKERS: "3", MAMORI_DATA_DIR: path.join(tmp, "embedded") });
    try {
      expect(s.output()).toContain("with 1 worker ");
      expect(s.output()).toContain("starting 1 worker");
      expect((await pids(port, 2, 6)).size).toBe(1);
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    } finally {
      if (s.child.exitCode === null) process.kill(-s.child.pid!, "SIGKILL");
    }
  }, 300_000);
});
