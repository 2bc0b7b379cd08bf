import { prisma } from "./client";
import { latestMigration } from "./migrations";

export interface DatabaseStatus {
  reachable: boolean;
  applied: string | null;
  expected: string | null;
  upToDate: boolean;
}

/** Is the database reachable, and which migration has it reached compared with this build? */
export async function databaseStatus(): Promise<DatabaseStatus> {
  const expected = latestMigration();
  try {
    const rows = await prisma().$queryRaw<{ migration_name: string }[]>`
      SELECT migration_name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
      ORDER BY migration_name DESC LIMIT 1`;
    const applied = rows[0]?.migration_name ?? null;
    return { reachable: true, applied, expected, upToDate: applied === expected };
  } catch {
    return { reachable: false, applied: null, expected, upToDate: false };
  }
}
