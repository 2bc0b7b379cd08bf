import type { PlistDict, PlistValue } from "./plist";

// A single-pass reader for Apple's XML property lists (no DOM). Bodies come from devices, so it
// is strict: anything Apple's own writer would not produce in a well-formed document is refused
// as a whole, never read in part. DTDs are never read: a DOCTYPE with an internal subset (entity
// declarations) is refused, and only XML's five named entities and character references exist.

/** Containers (dict, array) nested deeper than this are refused; Apple's messages use < 10. */
export const MAX_PLIST_DEPTH = 100;

/** Thrown for every defect; parsePlist turns it into the UserError "mdm.malformedPlist". */
export class PlistSyntaxError extends Error {}

/**
 * Read a decoded XML property list whose root `<plist>` holds one dictionary.
 * Integers are read as the nearest Number, like the plist package did (exact up to 2^53); values
 * outside Apple's range (-2^63 .. 2^64-1) are refused, as Apple's parser refuses them.
 */
export function parseXmlPlist(text: string): PlistDict {
  const value = new Reader(text).document();
  if (!isPlainDict(value)) throw new PlistSyntaxError("root is not a dictionary");
  return value;
}

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const INTEGER = /^[+-]?[0-9]+$/;
const REAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;
const BASE64 = /^[A-Za-z0-9+/]*$/;
const MAX_UNSIGNED = "18446744073709551615"; // 2^64 - 1
const MAX_NEGATIVE = "9223372036854775808"; // 2^63

function fail(why: string): never {
  throw new PlistSyntaxError(why);
}

function isPlainDict(v: PlistValue | undefined): v is PlistDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

interface StartTag {
  name: string;
  empty: boolean; // <name/>
}

class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): PlistValue {
    const s = this.s;
    if (s.includes("\u0000")) fail("NUL character");
    if (s.startsWith("<?xml") && this.isWs(5)) this.declaration();
    let doctype = false;
    for (;;) {
      this.skipWs();
      if (s.startsWith("<!--", this.i)) this.comment();
      else if (s.startsWith("<?", this.i)) this.instruction();
      else if (s.startsWith("<!DOCTYPE", this.i) && !doctype) {
        this.doctype();
        doctype = true;
      } else break;
    }
    const root = this.startTag();
    if (root.name !== "plist" || root.empty) fail("root element is not <plist>");
    const value = this.childValues("plist", 0);
    if (value.length !== 1) fail("<plist> must hold exactly one value");
    for (;;) {
      this.skipWs();
      if (this.i >= s.length) return value[0]!;
      if (s.startsWith("<!--", this.i)) this.comment();
      else if (s.startsWith("<?", this.i)) this.instruction();
      else fail("content after </plist>");
    }
  }

  // <?xml version="1.0" encoding="UTF-8" standalone="no"?> at the very start only.
  private declaration(): void {
    const end = this.s.indexOf("?>", 5);
    if (end < 0) fail("unterminated XML declaration");
    const body = this.s.slice(5, end);
    if (!/^\s+version\s*=\s*(["'])1\.[0-9]+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*$/.test(body)) {
      fail("bad XML declaration");
    }
    const encoding = /encoding\s*=\s*["']([^"']*)["']/.exec(body)?.[1];
    if (encoding !== undefined && encoding.toLowerCase() !== "utf-8") fail("not UTF-8");
    this.i = end + 2;
  }

  // <!DOCTYPE plist PUBLIC "..." "..."> or SYSTEM "..."; an internal subset ([...]) is refused.
  private doctype(): void {
    const end = this.s.indexOf(">", this.i);
    if (end < 0) fail("unterminated DOCTYPE");
    const body = this.s.slice(this.i + 9, end);
    if (!/^\s+[A-Za-z_][\w.:-]*(\s+(PUBLIC\s+("[^"]*"|'[^']*')\s+("[^"]*"|'[^']*')|SYSTEM\s+("[^"]*"|'[^']*')))?\s*$/.test(body)) {
      fail("DOCTYPE with an internal subset or bad syntax");
    }
    this.i = end + 1;
  }

  // Processing instructions outside the root (Apple's parser skips them); never another <?xml.
  private instruction(): void {
    const end = this.s.indexOf("?>", this.i + 2);
    if (end < 0) fail("unterminated processing instruction");
    const target = /^[A-Za-z_][\w.:-]*/.exec(this.s.slice(this.i + 2, end))?.[0];
    if (!target || target.toLowerCase() === "xml") fail("bad processing instruction");
    this.i = end + 2;
  }

  private comment(): void {
    const end = this.s.indexOf("-->", this.i + 4);
    if (end < 0) fail("unterminated comment");
    this.i = end + 3;
  }

  private isWs(at: number): boolean {
    return isWsCode(this.s.charCodeAt(at));
  }

  private skipWs(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length && isWsCode(s.charCodeAt(i))) i++;
    this.i = i;
  }

  /** Whitespace and comments between elements; anything else there is refused by the caller. */
  private skipMisc(): void {
    for (;;) {
      this.skipWs();
      if (this.s.charCodeAt(this.i + 1) === 0x21 /* ! */ && this.s.startsWith("<!--", this.i)) this.comment();
      else return;
    }
  }

  private name(): string {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (isWsCode(c) || c === 0x3e /* > */ || c === 0x2f /* / */ || c === 0x3d /* = */ || c === 0x3c /* < */ || c === 0x22 || c === 0x27) break;
      this.i++;
    }
    if (this.i === start) fail("missing name");
    return s.slice(start, this.i);
  }

  /** `<name attr="v" ...>` or `<name/>`; attributes are checked for syntax and ignored. */
  private startTag(): StartTag {
    const s = this.s;
    if (s.charCodeAt(this.i) !== 0x3c || s.charCodeAt(this.i + 1) === 0x2f) fail("expected a start tag");
    this.i++;
    const name = this.name();
    for (;;) {
      const hadWs = this.isWs(this.i);
      this.skipWs();
      const c = s.charCodeAt(this.i);
      if (c === 0x3e) {
        this.i++;
        return { name, empty: false };
      }
      if (c === 0x2f && s.charCodeAt(this.i + 1) === 0x3e) {
        this.i += 2;
        return { name, empty: true };
      }
      if (!hadWs) fail("bad start tag");
      this.name();
      this.skipWs();
      if (s.charCodeAt(this.i) !== 0x3d) fail("attribute without value");
      this.i++;
      this.skipWs();
      const q = s[this.i];
      if (q !== '"' && q !== "'") fail("unquoted attribute");
      const end = s.indexOf(q, this.i + 1);
      if (end < 0) fail("unterminated attribute");
      const raw = s.slice(this.i + 1, end);
      if (raw.includes("<")) fail("< in attribute");
      if (raw.includes("&")) decodeEntities(raw);
      this.i = end + 1;
    }
  }

  /** After `</`: the name must match, then optional whitespace and `>`. */
  private endTag(name: string): void {
    this.i += 2;
    if (this.name() !== name) fail("mismatched end tag");
    this.skipWs();
    if (this.s.charCodeAt(this.i) !== 0x3e) fail("bad end tag");
    this.i++;
  }

  private atEndTag(): boolean {
    return this.s.charCodeAt(this.i) === 0x3c && this.s.charCodeAt(this.i + 1) === 0x2f;
  }

  /** The values inside <plist> or <array>, up to its end tag. */
  private childValues(parent: string, depth: number): PlistValue[] {
    const out: PlistValue[] = [];
    for (;;) {
      this.skipMisc();
      if (this.atEndTag()) {
        this.endTag(parent);
        return out;
      }
      out.push(this.value(this.startTag(), depth));
    }
  }

  private dict(depth: number): PlistDict {
    const out: PlistDict = {};
    for (;;) {
      this.skipMisc();
      if (this.atEndTag()) {
        this.endTag("dict");
        return out;
      }
      const k = this.startTag();
      if (k.name !== "key") fail("expected <key> in <dict>");
      const key = k.empty ? "" : this.text("key");
      if (key === "__proto__") fail("__proto__ key"); // would replace the object's prototype
      this.skipMisc();
      if (this.atEndTag()) fail("<key> without a value");
      const v = this.startTag();
      if (v.name === "key") fail("two <key>s in a row");
      out[key] = this.value(v, depth); // a repeated key: the last value wins, as in CFDictionary
    }
  }

  private value(tag: StartTag, depth: number): PlistValue {
    const { name, empty } = tag;
    switch (name) {
      case "dict":
      case "array":
        if (depth + 1 > MAX_PLIST_DEPTH) fail("nested too deeply");
        if (name === "dict") return empty ? {} : this.dict(depth + 1);
        return empty ? [] : this.childValues("array", depth + 1);
      case "string":
        return empty ? "" : this.text(name);
      case "true":
      case "false":
        if (!empty && trimWs(this.text(name)) !== "") fail(`text in <${name}>`);
        return name === "true";
      case "integer":
        return integer(empty ? "" : this.text(name));
      case "real":
        return real(empty ? "" : this.text(name));
      case "date":
        return date(empty ? "" : this.text(name));
      case "data":
        return data(empty ? "" : this.text(name));
      default:
        return fail(`unknown element <${name}>`);
    }
  }

  /** Character data up to `</name>`: entities decoded, CDATA kept, comments dropped, no elements. */
  private text(name: string): string {
    const s = this.s;
    let out = "";
    for (;;) {
      const lt = s.indexOf("<", this.i);
      if (lt < 0) fail("unterminated element");
      if (lt > this.i) out += chars(s.slice(this.i, lt));
      this.i = lt;
      if (s.charCodeAt(lt + 1) === 0x2f) {
        this.endTag(name);
        return out;
      }
      if (s.startsWith("<![CDATA[", lt)) {
        const end = s.indexOf("]]>", lt + 9);
        if (end < 0) fail("unterminated CDATA");
        out += newlines(s.slice(lt + 9, end));
        this.i = end + 3;
      } else if (s.startsWith("<!--", lt)) {
        this.comment();
      } else {
        fail(`element inside <${name}>`);
      }
    }
  }
}

/** XML line-end normalization (CR LF and lone CR read as LF), as xmldom and the spec do. */
function newlines(raw: string): string {
  return raw.includes("\r") ? raw.replace(/\r\n?/g, "\n") : raw;
}

function chars(raw: string): string {
  const t = newlines(raw);
  return t.includes("&") ? decodeEntities(t) : t;
}

function decodeEntities(t: string): string {
  let out = "";
  let last = 0;
  for (let amp = t.indexOf("&"); amp >= 0; amp = t.indexOf("&", last)) {
    const semi = t.indexOf(";", amp);
    if (semi < 0) fail("bare &");
    out += t.slice(last, amp) + entity(t.slice(amp + 1, semi));
    last = semi + 1;
  }
  return out + t.slice(last);
}

function entity(name: string): string {
  const named = NAMED[name];
  if (named !== undefined) return named;
  let code = NaN;
  if (/^#[0-9]{1,10}$/.test(name)) code = Number(name.slice(1));
  else if (/^#x[0-9a-fA-F]{1,8}$/.test(name)) code = parseInt(name.slice(2), 16);
  // NUL, surrogates and beyond Unicode cannot be text; other control characters are let
  // through as before (Apple's writer does not escape them).
  if (!(code > 0 && code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) fail(`entity &${name};`);
  return String.fromCodePoint(code);
}

// By hand: a /\s+$/ regex is quadratic on long inner runs of whitespace (a device could send 1 MB).
function trimWs(t: string): string {
  let a = 0;
  let b = t.length;
  while (a < b && isWsCode(t.charCodeAt(a))) a++;
  while (b > a && isWsCode(t.charCodeAt(b - 1))) b--;
  return a === 0 && b === t.length ? t : t.slice(a, b);
}

function integer(raw: string): number {
  const t = trimWs(raw);
  if (!INTEGER.test(t)) fail("bad <integer>");
  const negative = t.startsWith("-");
  const digits = t.replace(/^[+-]?0*/, "");
  const limit = negative ? MAX_NEGATIVE : MAX_UNSIGNED;
  if (digits.length > limit.length || (digits.length === limit.length && digits > limit)) fail("<integer> out of range");
  return parseInt(t, 10); // the plist package's reading: exact up to 2^53, nearest double beyond
}

function real(raw: string): number {
  const t = trimWs(raw);
  if (!REAL.test(t)) fail("bad <real>");
  const n = Number(t);
  if (!Number.isFinite(n)) fail("<real> out of range");
  return n;
}

/** Apple's only date form, whole seconds in UTC: 2026-11-20T09:41:27Z. */
function date(raw: string): Date {
  const t = trimWs(raw);
  const m = DATE.exec(t);
  if (!m) fail("bad <date>");
  const d = new Date(t);
  // Refuse what Date would roll over (February 30, 24:00:00, minute 60).
  if (
    Number.isNaN(d.getTime()) ||
    d.getUTCMonth() + 1 !== Number(m[2]) ||
    d.getUTCDate() !== Number(m[3]) ||
    d.getUTCHours() !== Number(m[4]) ||
    d.getUTCMinutes() !== Number(m[5]) ||
    d.getUTCSeconds() !== Number(m[6])
  ) {
    fail("impossible <date>");
  }
  return d;
}

/** Base64 with any whitespace, read like atob (padding optional, nothing but the alphabet). */
function data(raw: string): Buffer {
  let t = raw.replace(/[ \t\n\r]+/g, "");
  if (t.length % 4 === 0) t = t.replace(/={1,2}$/, "");
  if (t.length % 4 === 1 || !BASE64.test(t)) fail("bad <data>");
  return Buffer.from(t, "base64");
}
