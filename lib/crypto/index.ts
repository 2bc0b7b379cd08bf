import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Sealed format: "v1." + base64(iv[12] | tag[16] | ciphertext). The context string is
// bound as associated data so a sealed value cannot be moved to another column.
const VERSION = "v1.";

function key(): Buffer {
  const raw = process.env.MAMORI_DATA_KEY;
  if (!raw) throw new Error("MAMORI_DATA_KEY is not set");
  const k = Buffer.from(raw, "base64");
  if (k.length !== 32) throw new Error("MAMORI_DATA_KEY must be 32 bytes, base64-encoded");
  return k;
}

export function seal(plain: Buffer | string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ct = Buffer.concat([cipher.update(typeof plain === "string" ? Buffer.from(plain, "utf8") : plain), cipher.final()]);
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

export function open(sealed: string, context: string): Buffer {
  if (!sealed.startsWith(VERSION)) throw new Error("Unknown sealed-data format");
  const buf = Buffer.from(sealed.slice(VERSION.length), "base64");
  if (buf.length < 28) throw new Error("Sealed data is truncated");
  const decipher = createDecipheriv("aes-256-gcm", key(), buf.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(buf.subarray(12, 28));
  return Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]);
}

export function openString(sealed: string, context: string): string {
  return open(sealed, context).toString("utf8");
}
