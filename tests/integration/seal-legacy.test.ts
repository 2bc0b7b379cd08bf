import pg from "pg";
import { describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { dataKeys, isSealed } from "@/lib/crypto";
import { sealPlainValues } from "@/lib/crypto/rotate";
import { openMail } from "@/lib/mail";

// Mail bodies written by a version that stored them in clear are sealed when Mamori starts
// (scripts/start.ts): in batches, by several instances at once without collision, once.

const db = useOwnDatabase();

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  return c;
}

describe("sealing what an older version stored in clear", () => {
  it("seals every plain mail body once, shared between two instances, and the outbox still reads them", async () => {
    const N = 1234;
    await prisma().$executeRawUnsafe(`
      INSERT INTO mail_messages (id, "to", "from", subject, text, html, status)
      SELECT gen_random_uuid(), ARRAY['u' || g || '@example.jp'], 'mamori@example.jp', 'Invitation ' || g,
             'Your PIN is ' || lpad(g::text, 6, '0'), CASE WHEN g % 2 = 0 THEN '<p>PIN ' || lpad(g::text, 6, '0') || '</p>' END, 'OUTBOX'
      FROM generate_series(1, ${N}) g`);
    const [a, b] = [await client(), await client()];
    try {
      const counts = await Promise.all([sealPlainValues(a, dataKeys()[0]!, 100), sealPlainValues(b, dataKeys()[0]!, 100)]);
      // Every value sealed by exactly one of them: text for all rows, html for the even ones.
      expect(counts[0]! + counts[1]!).toBe(N + N / 2);
      expect(await sealPlainValues(a, dataKeys()[0]!)).toBe(0);
    } finally {
      await a.end();
      await b.end();
    }
    const raw = await prisma().$queryRaw<{ text: string; html: string | null }[]>`SELECT text, html FROM mail_messages`;
    expect(raw.every((r) => isSealed(r.text) && (r.html === null || isSealed(r.html)))).toBe(true);
    // The plain words, not just "PIN": three letters turn up by chance in 1,851 base64 ciphertexts.
    expect(raw.some((r) => r.text.includes("Your PIN is") || r.html?.includes("<p>PIN"))).toBe(false);
    const m = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { subject: "Invitation 42" } }));
    expect(m.text).toBe("Your PIN is 000042");
    expect(m.html).toBe("<p>PIN 000042</p>");
  });
});
