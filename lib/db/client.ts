import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

// One client per process, opened on first use: Next.js loads route handlers and pages as
// separate module copies, and `next build` imports this module without a database.
const g = globalThis as unknown as { __mamoriPrisma?: PrismaClient };

export function prisma(): PrismaClient {
  if (!g.__mamoriPrisma) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    const max = Number(process.env.MAMORI_DB_POOL) || 10;
    g.__mamoriPrisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max }) });
  }
  return g.__mamoriPrisma;
}

export async function disconnect(): Promise<void> {
  await g.__mamoriPrisma?.$disconnect();
  g.__mamoriPrisma = undefined;
}

export type { PrismaClient };
export * from "./generated/enums";
