import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbedded } from "@/lib/db/embedded";
import { diffSql, migrate } from "@/lib/db/migrate";
import { readMigrations } from "@/lib/db/migrations";
import { loadSecrets } from "@/lib/secrets";

const tmp = mkdtempSync(path.join(tmpdir(), "mamori-start-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `npm start`'s script and returns what it printed; every case here fails before building. */
function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), "scripts/start.ts"], {
      env: { ...process.env, MAMORI_DATA_DIR: path.join(tmp, "data"), ...env },
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stderr: stderr.trim() }));
  });
}

describe("start-up refuses bad configuration with one clear sentence", () => {
  it.each([
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL is not a valid URL: expected postgresql://user:password@host:5432/database."],
    [{ DATABASE_URL: "mysql://root@127.0.0.1/x" }, "DATABASE_URL must start with postgresql:// (got mysql://)."],
    [{ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/mamori" }, "Cannot reach the database at 127.0.0.1:1/mamori: nothing is listening there."],
    [{ PORT: "http" }, 'PORT must be a number from 1 to 65535 (got "http").'],
    [{ MAMORI_WORKERS: "two" }, 'MAMORI_WORKERS must be a whole number of 1 or more (got "two").'],
    [{ MAMORI_WORKERS: "0" }, 'MAMORI_WORKERS must be a whole number of 1 or more (got "0").'],
  ])("%o", async (env, sentence) => {
    const r = await start(env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(sentence);
  });

  it("a port in use", async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    const r = await start({ PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: "postgresql://postgres@127.0.0.1:1/x" });
    busy.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Port ${port} is already in use: stop the other program or set PORT to a free port.`);
  });
});

describe("embedded database", () => {
  it("keeps its data across a restart and refuses a second user of the same folder", async () => {
    const dir = path.join(tmp, "pglite");
    const first = await startEmbedded(dir);
    expect(await migrate(first.url)).toEqual(readMigrations().map((m) => m.name));
    const c = new pg.Client({ connectionString: first.url });
    await c.connect();
    await c.query(`INSERT INTO settings (key, value, updated_at) VALUES ('survives', '"yes"', now())`);
    await c.end();
    // Another process holding the folder is refused.
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    await first.stop();
    const lock = path.join(tmp, "pglite.lock");
    writeFileSync(lock, String(holder.pid));
    await expect(startEmbedded(dir)).rejects.toThrow(`already in use by process ${holder.pid}`);
    holder.kill();
    await new Promise((r) => holder.on("exit", r));

    const again = await startEmbedded(dir);
    expect(await migrate(again.url)).toEqual([]);
    const c2 = new pg.Client({ connectionString: again.url });
    await c2.connect();
    const { rows } = await c2.query(`SELECT value FROM settings WHERE key = 'survives'`);
    await c2.end();
    await again.stop();
    expect(rows).toEqual([{ value: "yes" }]);
  });

  it("the committed migrations produce exactly schema.prisma", async () => {
    const db = await startEmbedded(null);
    try {
      expect(await diffSql(db.url)).toBeNull();
    } finally {
      await db.stop();
    }
  });
});

describe("secrets", () => {
  it("are generated once into the data folder and reused; given ones are not written", () => {
    const dir = path.join(tmp, "secrets");
    const a = loadSecrets(dir, {});
    const b = loadSecrets(dir, {});
    expect(b).toEqual(a);
    expect(Buffer.from(a.dataKey, "base64")).toHaveLength(32);
    const given = loadSecrets(dir, { AUTH_SECRET: "from-env" });
    expect(given.authSecret).toBe("from-env");
    expect(JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8")).authSecret).toBe(a.authSecret);
  });
});
