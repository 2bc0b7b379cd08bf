import { prisma } from "@/lib/db/client";

// Fixed-window counters in PostgreSQL so every instance behind the load balancer sees the
// same count. One atomic upsert per hit: no read-then-write race between instances.

export interface Limit {
  limit: number;
  windowSeconds: number;
}

export interface HitResult {
  count: number;
  allowed: boolean;
  retryAfterSeconds: number;
}

export async function hit(key: string, rule: Limit, now = new Date()): Promise<HitResult> {
  const rows = await prisma().$queryRaw<{ count: number; window_start: Date }[]>`
    INSERT INTO rate_limits (key, count, window_start) VALUES (${key}, 1, ${now})
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${rule.windowSeconds})
                   THEN 1 ELSE rate_limits.count + 1 END,
      window_start = CASE WHEN rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${rule.windowSeconds})
                   THEN ${now} ELSE rate_limits.window_start END
    RETURNING count, window_start`;
  const row = rows[0]!;
  const ends = row.window_start.getTime() + rule.windowSeconds * 1000;
  return {
    count: row.count,
    allowed: row.count <= rule.limit,
    retryAfterSeconds: Math.max(1, Math.ceil((ends - now.getTime()) / 1000)),
  };
}

/** Gives back one hit, e.g. a successful attempt that should not count against an address. */
export async function release(key: string): Promise<void> {
  await prisma().$executeRaw`UPDATE rate_limits SET count = GREATEST(count - 1, 0) WHERE key = ${key}`;
}

export async function reset(key: string): Promise<void> {
  await prisma().$executeRaw`DELETE FROM rate_limits WHERE key = ${key}`;
}
