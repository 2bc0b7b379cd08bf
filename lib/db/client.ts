import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

// One pool and one client per process, opened on first use: Next.js loads route handlers and
// pages as separate module copies, and `next build` imports this module without a database.
// Prisma and the raw SQL of the device path (lib/mdm/storage.ts) share the pool, so the
// embedded database still sees one connection.
const g = globalThis as unknown as { __mamoriPrisma?: PrismaClient; __mamoriPool?: pg.Pool };

export function pool(): pg.Pool {
  if (!g.__mamoriPool) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    const max = Number(process.env.MAMORI_DB_POOL) || 10;
    g.__mamoriPool = new pg.Pool({ connectionString: url, max });
    // An idle connection dropped by the server must not crash the process.
    g.__mamoriPool.on("error", (e) => console.error("database connection lost", e.message));
  }
  return g.__mamoriPool;
}

export function prisma(): PrismaClient {
  g.__mamoriPrisma ??= new PrismaClient({ adapter: new PrismaPg(pool()) });
  return g.__mamoriPrisma;
}

export async function disconnect(): Promise<void> {
  const p = g.__mamoriPool;
  await g.__mamoriPrisma?.$disconnect();
  g.__mamoriPrisma = undefined;
  g.__mamoriPool = undefined;
  await p?.end().catch(() => {});
}

export type { PrismaClient };
export * from "./generated/enums";
