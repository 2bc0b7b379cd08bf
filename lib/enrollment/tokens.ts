import { createHash, randomBytes } from "node:crypto";

/** A URL-safe random secret and the hash under which it is stored (secrets never are). */
export function newSecret(bytes = 24): { secret: string; hash: string } {
  const secret = randomBytes(bytes).toString("base64url");
  return { secret, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}
