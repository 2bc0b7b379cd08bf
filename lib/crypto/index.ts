import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Sealed format: "v1." + base64(iv[12] | tag[16] | ciphertext). The context string is
// bound as associated data so a sealed value cannot be moved to another column.
const VERSION = "v1.";

function parseKey(raw: string, name: string): Buffer {
  const k = Buffer.from(raw, "base64");
  if (k.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
  return k;
}

/**
 * The data keys: MAMORI_DATA_KEY seals; MAMORI_DATA_KEY_NEXT, set only while `npm run
 * rotate-key` is unfinished, can also open (the values it has already re-sealed).
 */
export function dataKeys(): Buffer[] {
  const raw = process.env.MAMORI_DATA_KEY;
  if (!raw) throw new Error("MAMORI_DATA_KEY is not set");
  const keys = [parseKey(raw, "MAMORI_DATA_KEY")];
  if (process.env.MAMORI_DATA_KEY_NEXT) keys.push(parseKey(process.env.MAMORI_DATA_KEY_NEXT, "MAMORI_DATA_KEY_NEXT"));
  return keys;
}

export function isSealed(value: string): boolean {
  return value.startsWith(VERSION);
}

export function seal(plain: Buffer | string, context: string, key: Buffer = dataKeys()[0]!): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ct = Buffer.concat([cipher.update(typeof plain === "string" ? Buffer.from(plain, "utf8") : plain), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

/** Opens with the first key whose authentication tag matches. */
export function open(sealed: string, context: string, keys: Buffer[] = dataKeys()): Buffer {
  if (!isSealed(sealed)) throw new Error("Unknown sealed-data format");
  const buf = Buffer.from(sealed.slice(VERSION.length), "base64");
  if (buf.length < 28) throw new Error("Sealed data is truncated");
  let last: unknown;
  for (const key of keys) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, buf.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(buf.subarray(12, 28));
      return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

export function openString(sealed: string, context: string): string {
  return open(sealed, context).toString("utf8");
}
