import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parsePlist, type PlistDict } from "@/lib/mdm/plist";
import type { Rng } from "./fuzz";
import { mutateBytes, mutateDict, mutateText, weirdString } from "./mutate";

// Check-in and connect bodies for fuzzing: Apple-shaped fixtures (tests/fixtures/mdm) made to name
// the fuzzed device, then mutated as text, as structure, or replaced by XML built to hurt a parser.

const DIR = path.resolve("tests/fixtures/mdm");

/** The fixtures of one kind, parsed, with UDID (and Topic) set to the device under test. */
export function seeds(kind: "checkin" | "connect", udid: string, topic: string): PlistDict[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".plist") && !f.includes("binary") && !f.startsWith("malformed"))
    .map((f) => parsePlist(readFileSync(path.join(DIR, f))))
    .filter((d) => (kind === "checkin" ? "MessageType" in d : "Status" in d))
    .map((d) => ({ ...d, ...("UDID" in d && { UDID: udid }), ...("Topic" in d && { Topic: topic }) }));
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** XML for any value, without buildPlist's refusals: the parser, not the builder, is under test. */
export function rawPlist(v: unknown): string {
  const w = (x: unknown): string => {
    if (x === null || x === undefined) return "<string/>";
    if (typeof x === "string") return `<string>${esc(x)}</string>`;
    if (typeof x === "boolean") return x ? "<true/>" : "<false/>";
    if (typeof x === "number") return Number.isInteger(x) ? `<integer>${x}</integer>` : `<real>${x}</real>`;
    if (typeof x === "bigint") return `<integer>${x}</integer>`;
    if (Buffer.isBuffer(x) || x instanceof Uint8Array) return `<data>${Buffer.from(x).toString("base64")}</data>`;
    if (x instanceof Date) return `<date>${Number.isNaN(x.getTime()) ? "not a date" : x.toISOString().replace(/\.\d+Z$/, "Z")}</date>`;
    if (Array.isArray(x)) return `<array>${x.map(w).join("")}</array>`;
    return `<dict>${Object.entries(x as object).map(([k, val]) => `<key>${esc(k)}</key>${w(val)}`).join("")}</dict>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${w(v)}\n</plist>\n`;
}

const KEYS = [
  "MessageType", "Topic", "UDID", "EnrollmentID", "Token", "PushMagic", "UnlockToken", "AwaitingConfiguration", "UserID", "UserShortName",
  "UserLongName", "SerialNumber", "ProductName", "BootstrapToken", "Status", "CommandUUID", "ErrorChain", "QueryResponses", "SecurityInfo",
  "ProfileList", "InstalledApplicationList", "CertificateList", "RequestType", "NotOnConsole", "DeviceName", "OSVersion", "Model",
];

/** Bodies built to hurt an XML reader: entities, DTDs, deep nesting, huge numbers, encodings. */
function hostile(rng: Rng, base: string): string {
  const depth = rng.pick([50, 500, 5000, 100_000]);
  switch (rng.int(12)) {
    case 0: return `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><plist><dict><key>UDID</key><string>&c;&c;&c;</string></dict></plist>`;
    case 1: return `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><dict><key>UDID</key><string>&x;</string></dict></plist>`;
    case 2: return `<plist><dict><key>a</key>${"<array>".repeat(depth)}${"</array>".repeat(depth)}</dict></plist>`;
    case 3: return `<plist><dict><key>a</key>${"<dict><key>k</key>".repeat(depth)}<true/>${"</dict>".repeat(depth)}</dict></plist>`;
    case 4: return base.replace(/<string>[^<]*<\/string>/, `<integer>${"9".repeat(rng.pick([20, 400, 5000]))}</integer>`);
    case 5: return base.replace(/<string>/, "<string><![CDATA[").replace(/<\/string>/, "]]></string>");
    case 6: return base.replace(/<dict>/, `<dict><!-- ${"-".repeat(rng.range(0, 3))} -->`);
    case 7: return base.replace(/<\/dict>\s*<\/plist>/, "");
    case 8: return base.replace(/<key>/g, () => (rng.chance(0.3) ? "<key/>" : "<key>"));
    case 9: return rng.pick(["", " ", "{}", "null", "bplist00\u0000", "\uFEFF" + base, "<plist/>", "<plist><array/></plist>", "<plist><string>x</string></plist>", "<?xml?>", base + base]);
    case 10: return base.replace(/<\/(\w+)>/, (_m, t: string) => `</${rng.chance(0.5) ? t.toUpperCase() : t + "x"}>`);
    default: return base.replace(/&/g, "").replace(/<string>/, `<string>&#${rng.pick(["0", "x0", "xD800", "x110000", "99999999999", "x", ""])};`);
  }
}

/** One fuzzed body: from a fixture by structure, by text, by splicing, or hostile XML. */
export function fuzzBody(rng: Rng, seedDicts: PlistDict[], extra: (d: Record<string, unknown>) => Record<string, unknown> = (d) => d): Buffer {
  const seed = extra({ ...rng.pick(seedDicts) });
  const text = rawPlist(seed);
  switch (rng.int(10)) {
    case 0:
    case 1:
    case 2:
      return Buffer.from(rawPlist(mutateDict(rng, seed, KEYS)));
    case 3:
    case 4:
      return Buffer.from(mutateText(rng, text, seedDicts.map(rawPlist)));
    case 5:
      return mutateBytes(rng, Buffer.from(text), seedDicts.map((d) => Buffer.from(rawPlist(d))));
    case 6:
    case 7:
      return Buffer.from(hostile(rng, text));
    case 8: // valid shape, strange but well-typed values
      return Buffer.from(rawPlist(Object.fromEntries(Object.entries(seed).map(([k, v]) => [k, typeof v === "string" && rng.chance(0.5) ? weirdString(rng) : v]))));
    default:
      return Buffer.from(text);
  }
}
