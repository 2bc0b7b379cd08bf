import type { Rng } from "./fuzz";

// Mutators: raw bytes, DER structure, text, and plist-like values. Each takes the case's PRNG,
// so the same seed gives the same input.

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0xff, 0xfe, 0x30, 0x31, 0x04, 0x06, 0x0c, 0x13, 0xa0, 0x3c, 0x3e, 0x26];

/** One to a few classic byte-level mutations: flips, sets, deletes, inserts, duplicates, splices, truncation. */
export function mutateBytes(rng: Rng, input: Buffer, donors: Buffer[] = []): Buffer {
  let b = Buffer.from(input);
  const rounds = rng.range(1, rng.chance(0.2) ? 16 : 3);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(9)) {
      case 0: // bit flip
        if (b.length) b[at] = b[at]! ^ (1 << rng.int(8));
        break;
      case 1: // interesting byte
        if (b.length) b[at] = rng.pick(INTERESTING);
        break;
      case 2: // truncate
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 3: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + rng.range(1, 64))]);
        break;
      case 4: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 32)), b.subarray(at)]);
        break;
      case 5: // duplicate a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + rng.range(1, 256)), b.subarray(at)]);
        break;
      case 6: { // splice in part of another valid input
        const d = donors.length ? rng.pick(donors) : input;
        const from = rng.int(d.length + 1);
        b = Buffer.concat([b.subarray(0, at), d.subarray(from, from + rng.range(1, 512)), b.subarray(rng.chance(0.5) ? at : Math.min(b.length, at + rng.range(1, 512)))]);
        break;
      }
      case 7: // add or subtract a small number
        if (b.length) b[at] = (b[at]! + rng.range(-4, 4)) & 0xff;
        break;
      default: // overwrite a run with one value
        b.fill(rng.pick(INTERESTING), at, Math.min(b.length, at + rng.range(1, 16)));
    }
  }
  return b;
}

interface Tlv {
  /** Offset of the tag byte, of the length bytes, of the content, and the end. */
  tag: number;
  len: number;
  content: number;
  end: number;
  constructed: boolean;
}

/** The TLVs of a DER buffer, depth first (best effort: stops where the encoding stops making sense). */
export function tlvs(der: Buffer): Tlv[] {
  const out: Tlv[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p < end && depth < 40 && out.length < 5000) {
      const tag = p;
      if ((der[p]! & 0x1f) === 0x1f) return; // high tag numbers: not in our inputs
      const len = p + 1;
      if (len >= end) return;
      let n = der[len]!;
      let content = len + 1;
      if (n & 0x80) {
        const k = n & 0x7f;
        if (k === 0 || k > 4 || content + k > end) return;
        n = 0;
        for (let i = 0; i < k; i++) n = n * 256 + der[content + i]!;
        content += k;
      }
      const stop = content + n;
      if (stop > end) return;
      const constructed = (der[tag]! & 0x20) !== 0;
      out.push({ tag, len, content, end: stop, constructed });
      if (constructed) walk(content, stop, depth + 1);
      else if (der[tag] === 0x04 || der[tag] === 0x03) walk(content + (der[tag] === 0x03 ? 1 : 0), stop, depth + 1); // DER inside OCTET/BIT STRINGs
      p = stop;
    }
  };
  walk(0, der.length, 0);
  return out;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/**
 * Structure-aware DER mutations: a node's tag, length or content changed, a node dropped,
 * duplicated, swapped with another, replaced by a huge or empty one, or nested deeply. Lengths of
 * the enclosing nodes are NOT fixed up on purpose half the time (a parser must cope with both).
 */
export function mutateDer(rng: Rng, der: Buffer, donors: Buffer[] = []): Buffer {
  const nodes = tlvs(der);
  if (!nodes.length || rng.chance(0.15)) return mutateBytes(rng, der, donors);
  const n = rng.pick(nodes);
  const before = der.subarray(0, n.tag);
  const after = der.subarray(n.end);
  const node = der.subarray(n.tag, n.end);
  const content = der.subarray(n.content, n.end);
  let replacement: Buffer;
  switch (rng.int(10)) {
    case 0: // another tag
      replacement = Buffer.concat([Buffer.from([rng.pick([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x1e, 0x30, 0x31, 0xa0, 0xa1, 0x80, 0x00])]), der.subarray(n.len, n.end)]);
      break;
    case 1: { // a wrong length (shorter, longer, indefinite, absurd)
      const l = rng.pick([0, 1, content.length - 1, content.length + 1, content.length * 2, 0x7fffffff]);
      const len = rng.chance(0.2) ? Buffer.from([0x80]) : rng.chance(0.1) ? Buffer.from([0x85, 1, 2, 3, 4, 5]) : encodeLength(Math.max(0, l));
      replacement = Buffer.concat([der.subarray(n.tag, n.len), len, content]);
      break;
    }
    case 2: // drop the node
      replacement = Buffer.alloc(0);
      break;
    case 3: // duplicate it
      replacement = Buffer.concat([node, node]);
      break;
    case 4: { // swap with another node
      const o = rng.pick(nodes);
      replacement = Buffer.from(der.subarray(o.tag, o.end));
      break;
    }
    case 5: // empty content
      replacement = Buffer.concat([Buffer.from([der[n.tag]!]), Buffer.from([0])]);
      break;
    case 6: // huge content
      replacement = Buffer.concat([Buffer.from([der[n.tag]!]), encodeLength(70_000), Buffer.alloc(70_000, rng.int(256))]);
      break;
    case 7: { // deep nesting
      let inner: Buffer = node;
      for (let i = 0, depth = rng.range(20, 400); i < depth; i++) inner = Buffer.concat([Buffer.from([0x30]), encodeLength(inner.length), inner]);
      replacement = inner;
      break;
    }
    case 8: // content mutated bytewise, length kept right
      replacement = (() => {
        const c = mutateBytes(rng, content, donors);
        return Buffer.concat([Buffer.from([der[n.tag]!]), encodeLength(c.length), c]);
      })();
      break;
    default: // a node from a donor
      if (donors.length) {
        const d = rng.pick(donors);
        const dn = tlvs(d);
        replacement = dn.length ? Buffer.from(d.subarray(rng.pick(dn).tag, rng.pick(dn).end)) : rng.bytes(8);
      } else replacement = rng.bytes(rng.range(1, 40));
  }
  const out = Buffer.concat([before, replacement, after]);
  return rng.chance(0.5) ? fixLengths(out, n.tag, replacement.length - node.length, nodes) : out;
}

/** Re-encode the lengths of the nodes enclosing `at` after a change of `delta` bytes there. */
function fixLengths(buf: Buffer, at: number, delta: number, nodes: Tlv[]): Buffer {
  if (delta === 0) return buf;
  const enclosing = nodes.filter((n) => n.content <= at && at < n.end).sort((a, b) => b.tag - a.tag);
  let out = buf;
  for (const n of enclosing) {
    const oldLenBytes = n.content - n.len;
    const newLen = n.end - n.content + delta;
    if (newLen < 0) return buf;
    const lenBytes = encodeLength(newLen);
    out = Buffer.concat([out.subarray(0, n.len), lenBytes, out.subarray(n.content)]);
    delta += lenBytes.length - oldLenBytes;
  }
  return out;
}

const WEIRD_STRINGS = [
  "", " ", "\u0000", "\u0000abc", "%00", "%ff", "%", "%zz", "%c0%ae%c0%ae/", "../../etc/passwd", "..%2f..%2f", "\\", "'", "\"", "' OR '1'='1",
  "<script>alert(1)</script>", "]]>", "<![CDATA[x]]>", "&amp;", "&#0;", "&#x110000;", "&#xD800;", "&bogus;", "\uD800", "\uFFFF", "\uFEFF",
  "日本語のテキスト", "🙂".repeat(50), "A".repeat(5000), "-1", "0", "1e309", "NaN", "Infinity", "-0", "9".repeat(400), "0x10", "true", "null",
  "{}", "[]", "__proto__", "constructor", "toString", "\r\n\r\n", "\t", "a\nb", "00000000-0000-0000-0000-000000000000",
];

export function weirdString(rng: Rng): string {
  const s = rng.pick(WEIRD_STRINGS);
  return rng.chance(0.2) ? s.repeat(rng.range(2, 200)) : s;
}

/** Text-level mutations: byte mutations of its UTF-8, or a weird string inserted or replacing a run. */
export function mutateText(rng: Rng, s: string, donors: string[] = []): string {
  if (rng.chance(0.4)) return mutateBytes(rng, Buffer.from(s), donors.map((d) => Buffer.from(d))).toString("latin1");
  const at = rng.int(s.length + 1);
  const cut = rng.chance(0.5) ? rng.range(0, 20) : 0;
  return s.slice(0, at) + weirdString(rng) + s.slice(at + cut);
}

/** A value of a random plist type, sometimes huge, deep or strange. */
export function plistValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 7 : 10)) {
    case 0: return weirdString(rng);
    case 1: return rng.pick([0, -1, 1, 2 ** 31, -(2 ** 63), 2 ** 64, 1.5, Number.MAX_SAFE_INTEGER, 1e300]);
    case 2: return rng.chance(0.5);
    case 3: return rng.bytes(rng.pick([0, 1, 16, 32, 1000, 100_000]));
    case 4: return new Date(rng.pick([0, -8.64e15, 8.64e15, Date.now(), 253402300799000]));
    case 5: // long: compressible, and not (PostgreSQL compresses index entries)
      return rng.chance(0.5) ? "x".repeat(rng.pick([1, 100, 10_000, 300_000])) : rng.bytes(rng.pick([400, 3000, 20_000])).toString("base64");
    case 6: return rng.pick(["Acknowledged", "Idle", "NotNow", "Error", "TokenUpdate", "Authenticate", "CheckOut"]);
    case 7: return Array.from({ length: rng.range(0, 5) }, () => plistValue(rng, depth + 1));
    case 8: return Object.fromEntries(Array.from({ length: rng.range(0, 5) }, () => [weirdString(rng) || "k", plistValue(rng, depth + 1)]));
    default: {
      let v: unknown = plistValue(rng, 4);
      for (let i = 0, d = rng.pick([5, 50, 200, 2000]); i < d; i++) v = rng.chance(0.5) ? [v] : { k: v };
      return v;
    }
  }
}

/** A dictionary with keys changed: a value replaced by another type, removed, added or renamed. */
export function mutateDict(rng: Rng, dict: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...dict };
  for (let r = 0, n = rng.range(1, 3); r < n; r++) {
    const present = Object.keys(out);
    const nested = present.filter((k) => isPlainDict(out[k]));
    if (nested.length && rng.chance(0.3)) {
      const k = rng.pick(nested);
      out[k] = mutateDict(rng, out[k] as Record<string, unknown>, [...Object.keys(out[k] as object), ...keys]);
      continue;
    }
    switch (rng.int(5)) {
      case 0:
      case 1: {
        const k = present.length ? rng.pick(present) : rng.pick(keys);
        out[k] = plistValue(rng);
        break;
      }
      case 2:
        if (present.length) delete out[rng.pick(present)];
        break;
      case 3:
        out[rng.pick(keys)] = plistValue(rng);
        break;
      default: {
        if (!present.length) break;
        const k = rng.pick(present);
        out[rng.chance(0.5) ? k.toLowerCase() : `${k} `] = out[k];
        delete out[k];
      }
    }
  }
  return out;
}

function isPlainDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date);
}

/** Percent-encodes every byte of `s` (latin1) that is not printable ASCII: any mutated text as a URL or header. */
export function percentEncode(s: string): string {
  return [...Buffer.from(s, "latin1")].map((b) => (b > 0x20 && b < 0x7f && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`)).join("");
}
