import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { isDict, type PlistDict, type PlistInput } from "@/lib/mdm/plist";

// Apple's device-management YAML (a copy of shared/spec/apple-device-management, MIT), the reference
// that builders and fixtures are checked against. Schema: github.com/apple/device-management
// docs/schema.md (keys, type, presence, rangelist, supportedOS, subkeys).

export const SPEC_DIR =
  process.env.MAMORI_APPLE_SPEC_DIR ?? path.resolve(import.meta.dirname, "../fixtures/apple-device-management/mdm");

export type AppleOS = "iOS" | "macOS";

export interface OsSupport {
  introduced?: string;
  supervised?: boolean;
  accessrights?: string;
  devicechannel?: boolean;
  userchannel?: boolean;
  userenrollment?: { mode?: string };
  sharedipad?: { mode?: string };
}

export interface YamlKey {
  key: string;
  type: string;
  presence?: string;
  rangelist?: unknown[];
  format?: string;
  /** On an array's item: how many items the array holds. */
  repetition?: { min?: number; max?: number };
  supportedOS?: Partial<Record<string, OsSupport>>;
  subkeys?: YamlKey[];
}

export interface YamlSchema {
  title: string;
  payload: { requesttype?: string; payloadtype?: string; supportedOS: Partial<Record<string, OsSupport>> };
  payloadkeys?: YamlKey[];
  responsekeys?: YamlKey[];
}

export function loadSchema(rel: string): YamlSchema {
  return parse(readFileSync(path.join(SPEC_DIR, rel), "utf8")) as YamlSchema;
}

/** Every schema in a folder, by its requesttype (commands, check-in) or payloadtype (profiles). */
export function schemasIn(dir: string): Map<string, YamlSchema> {
  const out = new Map<string, YamlSchema>();
  for (const f of readdirSync(path.join(SPEC_DIR, dir)).filter((f) => f.endsWith(".yaml"))) {
    const s = loadSchema(`${dir}/${f}`);
    const name = s.payload.requesttype ?? s.payload.payloadtype;
    if (name) out.set(name, s);
  }
  return out;
}

/** "n/a" in introduced means the key or command does not exist on that OS. */
export function supportedOn(node: { supportedOS?: Partial<Record<string, OsSupport>> }, os: AppleOS): boolean {
  return node.supportedOS?.[os]?.introduced !== "n/a";
}

/**
 * Keys every payload may carry. Apple defines them in mdm/profiles/CommonPayloadKeys.yaml,
 * which the spec snapshot did not copy, so they are listed here.
 */
export const COMMON_PAYLOAD_KEYS: YamlKey[] = [
  { key: "PayloadType", type: "<string>", presence: "required" },
  { key: "PayloadVersion", type: "<integer>", presence: "required", rangelist: [1] },
  { key: "PayloadIdentifier", type: "<string>", presence: "required" },
  { key: "PayloadUUID", type: "<string>", presence: "required" },
  { key: "PayloadDisplayName", type: "<string>", presence: "optional" },
  { key: "PayloadDescription", type: "<string>", presence: "optional" },
  { key: "PayloadOrganization", type: "<string>", presence: "optional" },
];

export function plistType(v: unknown): string {
  if (typeof v === "string") return "<string>";
  if (typeof v === "boolean") return "<boolean>";
  if (typeof v === "number") return Number.isInteger(v) ? "<integer>" : "<real>";
  if (v instanceof Date) return "<date>";
  if (v instanceof Uint8Array) return "<data>";
  if (Array.isArray(v)) return "<array>";
  if (isDict(v)) return "<dictionary>";
  return `<unknown ${typeof v}>`;
}

function typeMatches(v: unknown, type: string): boolean {
  const t = plistType(v);
  if (type === "<any>" || t === type) return true;
  return type === "<real>" && t === "<integer>"; // 128.0 reads back as an integer-valued number
}

export interface CheckOptions {
  os: AppleOS;
  /** Keys allowed without being in the YAML (reported separately by callers that care). */
  extraKeys?: readonly string[];
  /** Check that keys marked required (and available on `os`) are present. */
  requireKeys?: boolean;
}

/**
 * Problems found comparing a dictionary with YAML key definitions: unknown keys, wrong types,
 * values outside rangelist or format, keys that do not exist on `os`, missing required keys.
 */
export function checkDict(value: PlistDict | { [k: string]: PlistInput }, keys: readonly YamlKey[], opts: CheckOptions, at = ""): string[] {
  const problems: string[] = [];
  const defs = new Map(keys.map((k) => [k.key, k]));
  if (defs.has("ANY")) return problems;
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    const def = defs.get(k);
    const where = at ? `${at}.${k}` : k;
    if (!def) {
      if (!opts.extraKeys?.includes(k)) problems.push(`${where}: not defined by Apple`);
      continue;
    }
    problems.push(...checkValue(v, def, opts, where));
  }
  if (opts.requireKeys) {
    for (const def of keys) {
      if (def.presence === "required" && supportedOn(def, opts.os) && (value as Record<string, unknown>)[def.key] === undefined) {
        problems.push(`${at ? `${at}.` : ""}${def.key}: required but missing`);
      }
    }
  }
  return problems;
}

function checkValue(v: unknown, def: YamlKey, opts: CheckOptions, where: string): string[] {
  const problems: string[] = [];
  if (!supportedOn(def, opts.os)) problems.push(`${where}: not available on ${opts.os}`);
  if (!typeMatches(v, def.type)) return [...problems, `${where}: ${plistType(v)} where Apple has ${def.type}`];
  if (def.rangelist && !def.rangelist.includes(v)) problems.push(`${where}: ${String(v)} not in ${JSON.stringify(def.rangelist)}`);
  if (def.format && typeof v === "string" && !new RegExp(def.format).test(v)) problems.push(`${where}: does not match ${def.format}`);
  const sub = def.subkeys;
  if (!sub?.length) return problems;
  if (def.type === "<dictionary>" && isDict(v)) problems.push(...checkDict(v, sub, { ...opts, extraKeys: [] }, where));
  if (def.type === "<array>" && Array.isArray(v)) {
    // Several dictionaries under one array are alternatives told apart by their Item (Settings).
    const variants = sub.length > 1 && sub.every((d) => d.type === "<dictionary>");
    const item = sub[0]!;
    const { min = 0, max = Infinity } = variants ? {} : item.repetition ?? {};
    if (v.length < min || v.length > max) problems.push(`${where}: ${v.length} items where Apple wants ${min}..${max}`);
    v.forEach((x, i) => {
      const w = `${where}[${i}]`;
      // A string item with subkeys lists the allowed values (DeviceInformation Queries).
      if (item.type === "<string>" && item.subkeys?.length && typeof x === "string") {
        const allowed = item.subkeys.find((s) => s.key === x);
        if (!allowed) problems.push(`${w}: ${x} is not a value Apple defines`);
        else if (!supportedOn(allowed, opts.os)) problems.push(`${w}: ${x} not available on ${opts.os}`);
        return;
      }
      if (variants) {
        const tag = isDict(x) ? x.Item : undefined;
        const variant = sub.find((d) => d.subkeys?.some((k) => k.key === "Item" && k.rangelist?.includes(tag)));
        if (!variant) problems.push(`${w}: Item ${String(tag)} is not one Apple defines`);
        else problems.push(...checkValue(x, variant, opts, `${w}(${variant.key})`));
        return;
      }
      problems.push(...checkValue(x, item, opts, w));
    });
  }
  return problems;
}

// --- an independent reader: Python's plistlib (expat-based, strict), as plutil would read it.

const PY_READ = `
import plistlib, sys, json, base64, datetime
def conv(v):
    if isinstance(v, bytes): return {"$data": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime): return {"$date": v.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}
    if isinstance(v, list): return [conv(x) for x in v]
    return v
print(json.dumps(conv(plistlib.loads(sys.stdin.buffer.read(), fmt=plistlib.FMT_XML))))
`;

export const hasPython = spawnSync("python3", ["-c", "import plistlib"]).status === 0;

/** The XML as Python's plistlib reads it, in the JSON shape of `asJson`. */
export function readWithPython(xml: string): unknown {
  const r = spawnSync("python3", ["-c", PY_READ], { input: xml, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`plistlib refused the XML: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A plist value in that JSON shape: data as {$data: base64}, dates as {$date: ISO seconds}. */
export function asJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $data: Buffer.from(v).toString("base64") };
  if (v instanceof Date) return { $date: v.toISOString().replace(/\.\d{3}Z$/, "Z") };
  if (Array.isArray(v)) return v.map(asJson);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null).map(([k, x]) => [k, asJson(x)]));
  }
  return v;
}
