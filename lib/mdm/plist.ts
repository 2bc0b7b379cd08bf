import * as plist from "plist";
import { UserError } from "@/lib/errors";
import { PlistSyntaxError, parseXmlPlist } from "./plist-parse";

/** A parsed property-list value: `<data>` arrives as a Buffer, `<date>` as a Date. */
export type PlistValue = string | number | boolean | Date | Buffer | PlistValue[] | PlistDict;
export type PlistDict = { [key: string]: PlistValue };

/** What `buildPlist` accepts: dictionary entries that are undefined or null are left out. */
export type PlistInput =
  | string
  | number
  | boolean
  | Date
  | Uint8Array
  | null
  | undefined
  | readonly PlistInput[]
  | { readonly [key: string]: PlistInput };

export const DEFAULT_MAX_PLIST_BYTES = 1024 * 1024;

const BINARY_MAGIC = Buffer.from("bplist");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parse an XML property list whose top level is a dictionary. Devices send XML for check-in and
 * connect; binary, OpenStep, oversized and malformed bodies are refused with a UserError so
 * route handlers can answer 400 without logging the body. The XML is read by our own
 * single-pass reader (./plist-parse: no DOM, no DTD, nesting limit); `plist` only builds.
 */
export function parsePlist(body: Buffer | Uint8Array, { maxBytes = DEFAULT_MAX_PLIST_BYTES } = {}): PlistDict {
  if (body.byteLength > maxBytes) throw new UserError("mdm.tooLarge", { maxKb: Math.floor(maxBytes / 1024) });
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)) throw malformed();

  let text: string;
  try {
    text = utf8.decode(bytes); // also drops a UTF-8 BOM
  } catch {
    throw malformed();
  }
  try {
    return parseXmlPlist(text);
  } catch (e) {
    if (e instanceof PlistSyntaxError) throw malformed();
    throw e;
  }
}

/** XML property list for a dictionary: data as base64, dates as ISO 8601 (whole seconds). */
export function buildPlist(obj: { readonly [key: string]: PlistInput }): string {
  return plist.build(clean(obj, "") as plist.PlistValue, { indent: "\t" });
}

export function isDict(v: unknown): v is PlistDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v);
}

function malformed(): UserError {
  return new UserError("mdm.malformedPlist");
}

/** Check and copy builder input so the XML always reads back as the same value. */
function clean(v: PlistInput, path: string): plist.PlistValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return checkText(v, path);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`plist: ${path} is not a finite number`);
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) throw new TypeError(`plist: ${path} is too large for <integer>`);
    return v;
  }
  if (typeof v === "boolean") return v;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new TypeError(`plist: ${path} is an invalid date`);
    return v;
  }
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) {
    return v.map((x, i) => {
      const c = clean(x, `${path}[${i}]`);
      if (c === undefined) throw new TypeError(`plist: ${path}[${i}] is empty`);
      return c;
    });
  }
  if (typeof v === "object") {
    const out: { [key: string]: plist.PlistValue } = {};
    for (const [k, x] of Object.entries(v)) {
      const c = clean(x, path ? `${path}.${k}` : k);
      if (c !== undefined) out[checkText(k, path)] = c;
    }
    return out;
  }
  throw new TypeError(`plist: unsupported value at ${path}`);
}

// XML 1.0 cannot carry these characters at all, not even escaped.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when the text can be written into an XML plist (no control characters, no lone surrogates). */
export function isXmlText(s: string): boolean {
  return !NOT_XML.test(s);
}

function checkText(s: string, path: string): string {
  if (!isXmlText(s)) throw new TypeError(`plist: character not allowed in XML in ${path || "a string"}`);
  return s;
}
