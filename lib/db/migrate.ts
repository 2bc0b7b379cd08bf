import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { MIGRATIONS_DIR, PRISMA_DIR, readMigrations, type MigrationDir } from "./migrations";

export { PRISMA_DIR };

// Prisma's schema engine compiled to WebAssembly: the Prisma CLI cannot migrate offline
// (see shared/STACK.md), this can. Same `_prisma_migrations` bookkeeping as the CLI.

const SCHEMA_FILE = () => path.join(PRISMA_DIR, "schema.prisma");
const FILTERS = { externalTables: [] as string[], externalEnums: [] as string[] };

type Glue = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");
type Engine = Awaited<ReturnType<Glue["SchemaEngine"]["new"]>>;

let gluePromise: Promise<Glue> | undefined;

async function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const g = globalThis as unknown as { PRISMA_WASM_PANIC_REGISTRY?: unknown };
    let panic = "";
    g.PRISMA_WASM_PANIC_REGISTRY = { set_message: (m: string) => { panic = m; } };
    void panic;
    const glue = (await import("@prisma/schema-engine-wasm/schema_engine_bg")) as Glue;
    // The .wasm file is not in the package's exports map: find it beside the main file.
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve("@prisma/schema-engine-wasm"));
    const bytes = readFileSync(path.join(dir, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue as never });
    (glue as unknown as { __wbg_set_wasm(e: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  return gluePromise;
}

async function withEngine<T>(url: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const glue = await loadGlue();
  const factory = new PrismaPg({ connectionString: url, max: 2 });
  // The engine never disposes what it connects; its session holds Prisma's migration
  // advisory lock, so close every connection ourselves or the next migrate waits forever.
  const opened: { dispose(): Promise<void> }[] = [];
  const tracked = Object.assign(Object.create(Object.getPrototypeOf(factory)), factory, {
    connect: async () => { const a = await factory.connect(); opened.push(a); return a; },
    connectToShadowDb: async () => { const a = await factory.connectToShadowDb(); opened.push(a); return a; },
  });
  const schema = readFileSync(SCHEMA_FILE(), "utf8");
  const engine = await glue.SchemaEngine.new(
    { datamodels: [[SCHEMA_FILE(), schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(tracked),
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await Promise.all(opened.map((a) => a.dispose().catch(() => {})));
  }
}

function migrationsList(list: MigrationDir[]) {
  const lock = path.join(MIGRATIONS_DIR(), "migration_lock.toml");
  return {
    baseDir: MIGRATIONS_DIR(),
    shadowDbInitScript: "",
    lockfile: { path: "migration_lock.toml", content: existsSync(lock) ? readFileSync(lock, "utf8") : null },
    migrationDirectories: list.map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok" as const, value: m.sql } },
    })),
  };
}

/** Applies every pending migration; returns the names applied now. */
export async function migrate(url: string): Promise<string[]> {
  const list = readMigrations();
  return withEngine(url, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList: migrationsList(list) as never, filters: FILTERS });
    return out.appliedMigrationNames;
  });
}

/** SQL that takes the schema of the newest migration to the current schema.prisma; null when equal. */
export async function diffSql(url: string): Promise<string | null> {
  const list = readMigrations();
  const last = list.at(-1);
  if (last && !last.schema) throw new Error(`Migration ${last.name} has no schema.prisma snapshot`);
  return withEngine(url, async (engine) => {
    const from = last
      ? { tag: "schemaDatamodel" as const, files: [{ path: "schema.prisma", content: last.schema! }] }
      : { tag: "empty" as const };
    const to = { tag: "schemaDatamodel" as const, files: [{ path: "schema.prisma", content: readFileSync(SCHEMA_FILE(), "utf8") }] };
    const out = await engine.diff({ from, to, script: true, exitCode: null, filters: FILTERS } as never);
    const sql = (out as { stdout?: string }).stdout ?? "";
    return sql.trim() === "-- This is an empty migration." ? null : sql;
  });
}

