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

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n';

/**
 * XML property list for a dictionary: data as base64, dates as ISO 8601 (whole seconds).
 * Written in one pass (every answer to a device is one of these, so it is on the hot path);
 * values XML cannot carry, or that would not read back the same, are refused with a TypeError.
 */
export function buildPlist(obj: { readonly [key: string]: PlistInput }): string {
  const out: string[] = [HEADER];
  write(obj, "", "", out);
  out.push("</plist>\n");
  return out.join("");
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
const escape = (s: string) => s.replace(/[&<>]/g, (c) => ESCAPES[c]!);

function write(v: PlistInput, path: string, indent: string, out: string[]): void {
  if (typeof v === "string") {
    out.push(v ? `${indent}<string>${escape(checkText(v, path))}</string>\n` : `${indent}<string/>\n`);
  } else if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`plist: ${path} is not a finite number`);
    if (Number.isInteger(v)) {
      if (!Number.isSafeInteger(v)) throw new TypeError(`plist: ${path} is too large for <integer>`);
      out.push(`${indent}<integer>${v}</integer>\n`);
    } else out.push(`${indent}<real>${v}</real>\n`);
  } else if (typeof v === "boolean") {
    out.push(`${indent}<${v}/>\n`);
  } else if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new TypeError(`plist: ${path} is an invalid date`);
    out.push(`${indent}<date>${v.toISOString().replace(/\.\d{3}Z$/, "Z")}</date>\n`);
  } else if (v instanceof Uint8Array) {
    out.push(v.byteLength ? `${indent}<data>${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")}</data>\n` : `${indent}<data/>\n`);
  } else if (Array.isArray(v)) {
    if (v.length === 0) return void out.push(`${indent}<array/>\n`);
    out.push(`${indent}<array>\n`);
    v.forEach((x: PlistInput, i: number) => {
      if (x === undefined || x === null) throw new TypeError(`plist: ${path}[${i}] is empty`);
      write(x, `${path}[${i}]`, indent + "\t", out);
    });
    out.push(`${indent}</array>\n`);
  } else if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as { [key: string]: PlistInput }).filter(([, x]) => x !== undefined && x !== null);
    if (entries.length === 0) return void out.push(`${indent}<dict/>\n`);
    out.push(`${indent}<dict>\n`);
    for (const [k, x] of entries) {
      out.push(`${indent}\t<key>${escape(checkText(k, path))}</key>\n`);
      write(x, path ? `${path}.${k}` : k, indent + "\t", out);
    }
    out.push(`${indent}</dict>\n`);
  } else {
    throw new TypeError(`plist: unsupported value at ${path}`);
  }
}

export function isDict(v: unknown): v is PlistDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v);
}

function malformed(): UserError {
  return new UserError("mdm.malformedPlist");
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
