import { UserError } from "@/lib/errors";
import { type PlistDict, type PlistValue, isDict } from "@/lib/mdm/plist";

// Two kinds of readers. Strict ones (check-in, connect envelope) refuse a message whose key has
// the wrong type, naming the key. Lenient ones (inventory answers) drop a value of the wrong type
// so that one odd field does not lose a whole inventory.

export function invalid(field: string): UserError {
  return new UserError("mdm.invalidMessage", { field });
}

/**
 * Longest string a strict field may carry. Apple's are identifiers and names of a few dozen
 * characters; this bound keeps every one under PostgreSQL's btree entry limit (2,704 bytes at
 * 4 bytes a character) for the indexed columns they are written to (topic, UDID, serial number).
 */
export const MAX_FIELD_CHARS = 512;

export function optString(d: PlistDict, key: string): string | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > MAX_FIELD_CHARS) throw invalid(key);
  return v;
}

/** Required and non-empty (after trimming). */
export function reqString(d: PlistDict, key: string): string {
  const v = optString(d, key);
  if (v === undefined || v.trim() === "") throw invalid(key);
  return v;
}

export function optBool(d: PlistDict, key: string): boolean | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw invalid(key);
  return v;
}

export function optData(d: PlistDict, key: string): Buffer | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (!Buffer.isBuffer(v)) throw invalid(key);
  return v;
}

export function reqData(d: PlistDict, key: string): Buffer {
  const v = optData(d, key);
  if (v === undefined || v.length === 0) throw invalid(key);
  return v;
}

// --- lenient

export function str(v: PlistValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** A string with inner spaces removed: Apple prints IMEIs as "35 123456 789012 3". */
export function compact(v: PlistValue | undefined): string | undefined {
  const s = str(v)?.replace(/\s+/g, "");
  return s ? s : undefined;
}

export function bool(v: PlistValue | undefined): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}

export function num(v: PlistValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function int(v: PlistValue | undefined): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

export function dict(v: PlistValue | undefined): PlistDict | undefined {
  return isDict(v) ? v : undefined;
}

export function dicts(v: PlistValue | undefined): PlistDict[] {
  return Array.isArray(v) ? v.filter(isDict) : [];
}

/** Leave out undefined entries so results store compactly and compare cleanly. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
