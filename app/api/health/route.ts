import { route } from "@/lib/auth/guard";
import { databaseStatus } from "@/lib/db/health";

export const dynamic = "force-dynamic";

/** For load balancers: 200 only when the database answers and is fully migrated. */
export const GET = route.public("health", async () => {
  const db = await databaseStatus();
  const ok = db.reachable && db.upToDate;
  return Response.json(
    { status: ok ? "ok" : "unavailable", database: { reachable: db.reachable, migration: db.applied, expectedMigration: db.expected, upToDate: db.upToDate } },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
});
