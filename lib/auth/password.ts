import { randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
// N=2^15, r=8, p=1: about 50 ms and 32 MiB per hash on one core.
const PARAMS = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const PREFIX = "scrypt$15$8$1$";

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize("NFKC"), salt, 32, PARAMS);
  return PREFIX + salt.toString("base64") + "$" + hash.toString("base64");
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored?.startsWith(PREFIX)) {
    // Same work as a real check so a missing account is not told apart by timing.
    await scrypt(password, randomBytes(16), 32, PARAMS);
    return false;
  }
  const [saltB64, hashB64] = stored.slice(PREFIX.length).split("$");
  const expected = Buffer.from(hashB64 ?? "", "base64");
  const actual = await scrypt(password.normalize("NFKC"), Buffer.from(saltB64 ?? "", "base64"), 32, PARAMS);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

import { PASSWORD_MAX, PASSWORD_MIN } from "./password-rules";

export { PASSWORD_MAX, PASSWORD_MIN };

// A short list of what people type first; the length rule already rules out most others.
const COMMON = new Set([
  "password", "password1", "password12", "password123", "passw0rd", "qwertyuiop", "1234567890",
  "0123456789", "12345678910", "iloveyou", "administrator", "letmein123", "welcome123",
  "qwerty1234", "abcdefghij", "abcd123456", "changeme123", "p@ssw0rd123", "mamori1234",
]);

/** Returns the i18n key of the first rule broken, or null when the password is acceptable. */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | null {
  if (password.length < PASSWORD_MIN) return "password.tooShort";
  if (password.length > PASSWORD_MAX) return "password.tooLong";
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || /^(.)\1+$/.test(password)) return "password.tooCommon";
  const local = context.email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 3 && lower.includes(local)) return "password.containsEmail";
  const name = context.name?.toLowerCase().replace(/\s+/g, "");
  if (name && name.length >= 3 && lower.includes(name)) return "password.containsName";
  return null;
}
