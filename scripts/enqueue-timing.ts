// A quick check of the bulk enqueue target (10,000 commands a second: 10,000 in under one), outside the
// tests: npx tsx scripts/enqueue-timing.ts [devices]. Uses a throwaway database on the
// PostgreSQL named by TEST_DATABASE_URL (else an in-memory PGlite). Exits 1 on a miss.
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "../tests/support/test-database";

process.env.MAMORI_DATA_KEY ||= randomBytes(32).toString("base64");
if (!process.env.TEST_DATABASE_URL) process.env.MAMORI_DB_POOL = "1";

async function main() {
  const n = Number(process.argv[2]) || 10_000;
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  const { prisma, disconnect } = await import("../lib/db/client");
  const { insertCommands, bulkEnqueue } = await import("../lib/mdm/enqueue");
  const { deviceLock } = await import("../lib/mdm/commands");
  const { stopJobs } = await import("../lib/jobs/queue");
  const actor = { id: null, label: "timing" };
  let failed = false;
  try {
    await prisma().$executeRawUnsafe(`INSERT INTO devices (id, udid, platform, status, created_at, updated_at)
      SELECT gen_random_uuid(), 'T-' || i, 'IOS', 'ACTIVE', now(), now() FROM generate_series(1, ${n}) AS i`);
    const ids = (await prisma().device.findMany({ select: { id: true } })).map((d) => d.id);
    const lock = { IOS: [deviceLock("IOS", { message: "timing", pin: undefined }) as never] };
    await insertCommands(ids.slice(0, 100), lock, { actor }); // warm-up: connections, plans
    for (const [name, run] of [
      ["insertCommands (the INSERT … SELECT alone)", () => insertCommands(ids, lock, { actor })],
      ["bulkEnqueue (insert, job row, pg-boss send, audit)", () => bulkEnqueue(ids, lock, { actor, action: "device.bulk" })],
    ] as const) {
      const start = performance.now();
      const r = await run();
      const ms = performance.now() - start;
      const target = n / 10;
      const ok = ms < target && r.commandIds.length === n;
      failed ||= !ok;
      console.log(`${ok ? "ok  " : "MISS"} ${name}: ${r.commandIds.length} commands in ${ms.toFixed(0)} ms (target < ${target} ms)`);
    }
  } finally {
    await stopJobs();
    await disconnect();
    await db.drop();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
