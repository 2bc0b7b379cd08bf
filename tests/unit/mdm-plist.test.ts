import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import * as plist from "plist";
import { describe, expect, it } from "vitest";
import { buildPlist, parsePlist } from "@/lib/mdm/plist";
import { asJson, hasPython, readWithPython } from "@/tests/support/apple-schema";
import { refusal } from "@/tests/support/refusal";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/mdm");
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));


/** Runs fn with every console method recording instead of printing. */
function consoleOutput(fn: () => void): string[] {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...a: unknown[]) => void lines.push(`${m}: ${a.join(" ")}`);
  try {
    fn();
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]!));
  }
  return lines;
}

const xml = (body: string) =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">${body}</plist>`,
  );

describe("parsePlist", () => {
  it("reads every XML fixture as a dictionary", () => {
    const names = readdirSync(FIXTURES).filter((f) => f.endsWith(".plist") && !f.startsWith("malformed") && !f.includes(".binary."));
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) {
      const d = parsePlist(fixture(name));
      expect(typeof d, name).toBe("object");
      expect(Object.keys(d).length, name).toBeGreaterThan(0);
    }
  });

  it("gives Buffers for <data>, Dates for <date>, numbers and booleans as such", () => {
    const d = parsePlist(
      xml(`<dict><key>Token</key><data>
	AAECAwQF
	BgcICQ==
	</data><key>When</key><date>2026-11-20T09:41:27Z</date><key>N</key><integer>-42</integer>
      <key>R</key><real>0.8199999928474426</real><key>T</key><true/><key>F</key><false/>
      <key>S</key><string>営業部 &amp; &lt;本社&gt;</string><key>E</key><string/><key>A</key><array/><key>D</key><dict/></dict>`),
    );
    expect(Buffer.isBuffer(d.Token)).toBe(true);
    expect((d.Token as Buffer).toString("hex")).toBe("00010203040506070809");
    expect(d.When).toEqual(new Date("2026-11-20T09:41:27Z"));
    expect(d).toMatchObject({ N: -42, R: 0.8199999928474426, T: true, F: false, S: "営業部 & <本社>", E: "", A: [], D: {} });
  });

  it("reads a TokenUpdate's token and unlock token bytes", () => {
    const d = parsePlist(fixture("tokenupdate-iphone.plist"));
    expect((d.Token as Buffer).length).toBe(32);
    expect((d.UnlockToken as Buffer).subarray(0, 4).toString()).toBe("DATA");
  });

  it("refuses binary, truncated, non-dictionary, OpenStep and non-UTF-8 bodies as malformed", () => {
    const bodies: [string, Buffer][] = [
      ["binary plist", fixture("tokenupdate-iphone.binary.plist")],
      ["truncated", fixture("malformed-truncated.plist")],
      ["array root", xml("<array><string>x</string></array>")],
      ["string root", xml("<string>x</string>")],
      ["empty plist", xml("")],
      ["two roots", xml("<dict/><dict/>")],
      ["not a plist", Buffer.from("<html><body>hi</body></html>")],
      ["OpenStep", Buffer.from('{ MessageType = "Authenticate"; }')],
      ["JSON", Buffer.from('{"MessageType":"Authenticate"}')],
      ["empty body", Buffer.alloc(0)],
      ["text after the root", Buffer.concat([xml("<dict/>"), Buffer.from("trailing")])],
      ["tag mismatch", xml("<dict><key>A</key><string>x</dict></string>")],
      ["unknown tag", xml("<dict><key>A</key><blob/></dict>")],
      ["undefined entity", xml("<dict><key>A</key><string>&nbsp;</string></dict>")],
      ["bad integer", xml("<dict><key>A</key><integer>twelve</integer></dict>")],
      ["bad date", xml("<dict><key>A</key><date>yesterday</date></dict>")],
      ["bad base64", xml("<dict><key>A</key><data>*not base64*</data></dict>")],
      ["prototype key", xml("<dict><key>__proto__</key><dict/></dict>")],
      ["invalid UTF-8", Buffer.concat([xml("<dict><key>A</key><string>"), Buffer.from([0xc3, 0x28]), Buffer.from("</string></dict>")])],
      ["UTF-16", Buffer.from(xml("<dict/>").toString("utf8"), "utf16le")],
    ];
    for (const [label, body] of bodies) expect(refusal(() => parsePlist(body)).code, label).toBe("mdm.malformedPlist");
  });

  it("stays silent on bad XML and puts the console back", () => {
    const before = console.error;
    const out = consoleOutput(() => {
      for (const b of [fixture("malformed-truncated.plist"), xml("<dict/>junk<dict/>"), xml("<dict><key>A</key><string>&x;</string></dict>")]) {
        refusal(() => parsePlist(b));
      }
    });
    expect(out).toEqual([]);
    expect(console.error).toBe(before);
    // plist on its own would have printed xmldom's complaints: the guard is what keeps logs clean.
    expect(consoleOutput(() => refusal(() => plist.parse(fixture("malformed-truncated.plist").toString())))).not.toEqual([]);
  });

  it("refuses bodies over the limit before parsing them", () => {
    const body = fixture("result-deviceinformation-iphone.plist");
    expect(refusal(() => parsePlist(body, { maxBytes: 1024 }))).toEqual({ code: "mdm.tooLarge", params: { maxKb: 1 } });
    expect(parsePlist(body, { maxBytes: body.length }).Status).toBe("Acknowledged");
    const huge = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect(refusal(() => parsePlist(huge))).toEqual({ code: "mdm.tooLarge", params: { maxKb: 1024 } });
  });

  it("accepts a UTF-8 byte order mark and a Uint8Array", () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixture("checkout-iphone.plist")]);
    expect(parsePlist(body).MessageType).toBe("CheckOut");
    expect(parsePlist(new Uint8Array(fixture("checkout-iphone.plist"))).MessageType).toBe("CheckOut");
  });
});

describe("buildPlist", () => {
  const sample = {
    CommandUUID: "0F4E2B7A-6C1D-4E3F-9A8B-2C5D7E9F1A3B",
    Command: {
      RequestType: "InstallProfile",
      Payload: Buffer.from("<?xml version=\"1.0\"?><plist version=\"1.0\"><dict/></plist>"),
      Empty: Buffer.alloc(0),
    },
    Text: "山田 太郎 <yamada@example.jp> & \"quotes\" 'single' ]]> \t tab\nnew line",
    Whitespace: "  padded  ",
    Empty: "",
    Int: 8191,
    Negative: -1,
    Real: 0.64,
    Big: 2 ** 40,
    True: true,
    False: false,
    When: new Date("2026-11-20T09:41:27Z"),
    List: ["a", 1, [true], { Nested: new Date("2027-01-01T00:00:00Z") }],
    EmptyList: [],
    EmptyDict: {},
  };

  it("round-trips through parsePlist, the plist package and Python's plistlib", () => {
    const out = buildPlist(sample);
    expect(out.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(out).toContain("<!DOCTYPE plist PUBLIC");
    expect(out).toContain("<data>");
    expect(out).toContain("<date>2026-11-20T09:41:27Z</date>");
    expect(out).toContain("<real>0.64</real>");

    expect(parsePlist(Buffer.from(out))).toEqual(sample);
    expect(asJson(plist.parse(out))).toEqual(asJson(sample));
    if (hasPython) expect(readWithPython(out)).toEqual(asJson(sample));
  });

  it("leaves out undefined and null dictionary entries", () => {
    const out = buildPlist({ A: "x", B: undefined, C: null, D: { E: undefined } });
    expect(parsePlist(Buffer.from(out))).toEqual({ A: "x", D: {} });
  });

  it("keeps whole seconds of dates (the XML format has no fractions)", () => {
    const back = parsePlist(Buffer.from(buildPlist({ At: new Date("2026-11-20T09:41:27.789Z") })));
    expect(back.At).toEqual(new Date("2026-11-20T09:41:27Z"));
  });

  it("refuses values XML cannot carry or that would not read back the same", () => {
    expect(() => buildPlist({ A: "bell\u0007" })).toThrow(TypeError);
    expect(() => buildPlist({ "key\u0000": "x" })).toThrow(TypeError);
    expect(() => buildPlist({ A: "\ud800 lone surrogate" })).toThrow(TypeError);
    expect(() => buildPlist({ A: Number.NaN })).toThrow(TypeError);
    expect(() => buildPlist({ A: Infinity })).toThrow(TypeError);
    expect(() => buildPlist({ A: 1e21 })).toThrow(TypeError);
    expect(() => buildPlist({ A: new Date("nope") })).toThrow(TypeError);
    expect(() => buildPlist({ A: ["x", undefined] })).toThrow(TypeError);
    expect(buildPlist({ A: "emoji 🍣 ok" })).toContain("🍣");
  });

  it("re-encodes every fixture to the same value", () => {
    for (const name of readdirSync(FIXTURES).filter((f) => /^(result|connect|token|authenticate|checkout)/.test(f) && !f.includes(".binary."))) {
      const d = parsePlist(fixture(name));
      expect(parsePlist(Buffer.from(buildPlist(d))), name).toEqual(d);
    }
  });
});
