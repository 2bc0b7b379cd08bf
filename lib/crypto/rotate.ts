import type pg from "pg";
import { isSealed, open, seal } from "./index";
import { SEALED_COLUMNS, SEALED_SETTINGS } from "./sealed-columns";

const BATCH = 1000;

/**
 * Re-seals every sealed value under `to`, in one transaction: either all of it moves to the new
 * key or none does. Values are opened with any of `from` (and `to`, so a rotation that was
 * interrupted after committing can be run again). Returns how many values were re-sealed.
 */
export async function resealAll(client: pg.ClientBase, from: Buffer[], to: Buffer): Promise<number> {
  const keys = [...from, to];
  let count = 0;
  await client.query("BEGIN");
  try {
    for (const c of SEALED_COLUMNS) {
      const { rows } = await client.query<{ id: string; v: string }>(
        `SELECT id::text AS id, "${c.column}" AS v FROM "${c.table}" WHERE "${c.column}" IS NOT NULL FOR UPDATE`,
      );
      for (let i = 0; i < rows.length; i += BATCH) {
        const batch = rows.slice(i, i + BATCH);
        const values = batch.map((r) => {
          const plain = c.legacyPlain && !isSealed(r.v) ? Buffer.from(r.v, "utf8") : open(r.v, c.context, keys);
          return seal(plain, c.context, to);
        });
        await client.query(
          `UPDATE "${c.table}" t SET "${c.column}" = v.val FROM unnest($1::text[], $2::text[]) AS v(id, val) WHERE t.id = v.id::${c.idType}`,
          [batch.map((r) => r.id), values],
        );
        count += batch.length;
      }
    }
    for (const s of SEALED_SETTINGS) {
      const { rows } = await client.query<{ v: string | null }>(`SELECT value->>$2 AS v FROM settings WHERE key = $1 FOR UPDATE`, [s.key, s.field]);
      const v = rows[0]?.v;
      if (!v) continue;
      const resealed = seal(open(v, s.context, keys), s.context, to);
      await client.query(`UPDATE settings SET value = jsonb_set(value::jsonb, ARRAY[$2], to_jsonb($3::text)) WHERE key = $1`, [s.key, s.field, resealed]);
      count++;
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK");
    throw e;
  }
  return count;
}

/**
 * Seals what an older version stored in clear (columns flagged `legacyPlain`: mail bodies), in
 * batches of short transactions. Rows locked by another instance doing the same are skipped
 * (SKIP LOCKED), so several instances starting at once share the work; a second run finds
 * nothing. Returns how many values it sealed.
 */
export async function sealPlainValues(client: pg.ClientBase, key: Buffer, batch = 500): Promise<number> {
  let count = 0;
  for (const c of SEALED_COLUMNS.filter((x) => x.legacyPlain)) {
    for (;;) {
      await client.query("BEGIN");
      try {
        const { rows } = await client.query<{ id: string; v: string }>(
          `SELECT id::text AS id, "${c.column}" AS v FROM "${c.table}" WHERE "${c.column}" IS NOT NULL AND left("${c.column}", 3) <> 'v1.' LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [batch],
        );
        const plain = rows.filter((r) => !isSealed(r.v));
        if (plain.length) {
          await client.query(
            `UPDATE "${c.table}" t SET "${c.column}" = v.val FROM unnest($1::text[], $2::text[]) AS v(id, val) WHERE t.id = v.id::${c.idType}`,
            [plain.map((r) => r.id), plain.map((r) => seal(Buffer.from(r.v, "utf8"), c.context, key))],
          );
        }
        await client.query("COMMIT");
        count += plain.length;
        if (rows.length < batch) break;
      } catch (e) {
        await client.query("ROLLBACK");
        throw e;
      }
    }
  }
  return count;
}
