import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import * as plist from "plist";
import { describe, expect, it } from "vitest";
import { buildPlist, parsePlist, type PlistInput } from "@/lib/mdm/plist";
import { MAX_PLIST_DEPTH } from "@/lib/mdm/plist-parse";
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

describe("parsePlist: the XML it reads", () => {
  const value = (inner: string) => parsePlist(xml(`<dict><key>V</key>${inner}</dict>`)).V;
  const refused = (body: Buffer | string) => refusal(() => parsePlist(typeof body === "string" ? Buffer.from(body) : body)).code;

  it("decodes the five named entities, character references and CDATA in strings and keys", () => {
    expect(value("<string>&amp;&lt;&gt;&quot;&apos;</string>")).toBe(`&<>"'`);
    expect(value("<string>&#65;&#x42;&#0067;&#12354;&#x1F363;&#x0001F363;</string>")).toBe("ABCあ🍣🍣");
    expect(value("<string>a<![CDATA[<b> &amp; ]]>c</string>")).toBe("a<b> &amp; c");
    expect(value("<string><![CDATA[]]></string>")).toBe("");
    expect(parsePlist(xml("<dict><key>a &amp; b</key><true/><key><![CDATA[<x>]]></key><false/></dict>"))).toEqual({ "a & b": true, "<x>": false });
  });

  it("keeps whitespace in strings, normalizes line ends, and lets raw > and ]]> through as text", () => {
    expect(value("<string>  two\tspaces \n</string>")).toBe("  two\tspaces \n");
    expect(value("<string>a\r\nb\rc</string>")).toBe("a\nb\nc");
    expect(value("<string>a > b ]]> c</string>")).toBe("a > b ]]> c");
  });

  it("keeps U+2028 and U+0085 (xmldom turned them into line feeds, as XML 1.1 would; plists are XML 1.0)", () => {
    expect(value("<string>a\u2028b\u0085c</string>")).toBe("a\u2028b\u0085c");
  });

  it("reads empty elements in both forms", () => {
    for (const [inner, want] of [
      ["<string/>", ""],
      ["<string></string>", ""],
      ["<dict/>", {}],
      ["<dict>\n\t</dict>", {}],
      ["<array/>", []],
      ["<array> </array>", []],
      ["<data/>", Buffer.alloc(0)],
      ["<data>\n</data>", Buffer.alloc(0)],
      ["<true></true>", true],
      ["<false/>", false],
    ] as const) {
      expect(value(inner), inner).toEqual(want);
    }
    expect(parsePlist(xml("<dict><key/><string>x</string></dict>"))).toEqual({ "": "x" });
  });

  it("skips comments, attributes, processing instructions outside the root and an Apple or absent prolog", () => {
    const body = `<?xml version='1.0' encoding='utf-8' standalone="yes"?>
<?xml-stylesheet href="x"?>
<!-- written by hand -->
<!DOCTYPE plist SYSTEM "file://localhost/System/Library/DTDs/PropertyList.dtd">
<plist version="1.0" xmlns:x="urn:x"><!-- a --><dict ><!-- b --><key>A</key ><!-- c --><array x="1"><integer>1</integer><!-- d --></array></dict ></plist >
<!-- done -->
`;
    expect(parsePlist(Buffer.from(body))).toEqual({ A: [1] });
    expect(parsePlist(Buffer.from("\n<plist><dict><key>A</key><string>x</string></dict></plist>"))).toEqual({ A: "x" });
  });

  it("reads integers as numbers: exact up to 2^53, the nearest number up to Apple's 64-bit range, beyond that refused", () => {
    expect(value("<integer> +42 </integer>")).toBe(42);
    expect(value("<integer>-0042</integer>")).toBe(-42);
    expect(value(`<integer>${Number.MAX_SAFE_INTEGER}</integer>`)).toBe(Number.MAX_SAFE_INTEGER);
    // As the plist package (parseInt) read them: precision lost above 2^53, never refused.
    expect(value("<integer>18446744073709551615</integer>")).toBe(18446744073709551615);
    expect(value("<integer>-9223372036854775808</integer>")).toBe(-9223372036854775808);
    expect(value("<integer>000018446744073709551615</integer>")).toBe(2 ** 64);
    for (const bad of ["18446744073709551616", "-9223372036854775809", "99999999999999999999999", "12abc", "0x10", "1.5", "1e3", "", " ", "- 1", "++1"]) {
      expect(refused(xml(`<dict><key>V</key><integer>${bad}</integer></dict>`)), bad).toBe("mdm.malformedPlist");
    }
    expect(refused(xml("<dict><key>V</key><integer/></dict>"))).toBe("mdm.malformedPlist");
  });

  it("reads reals and refuses what is not a finite decimal number", () => {
    for (const [t, want] of [["0.5", 0.5], ["-1.25e-3", -0.00125], ["+3", 3], [".5", 0.5], ["5.", 5], [" 1E+2 ", 100]] as const) {
      expect(value(`<real>${t}</real>`), t).toBe(want);
    }
    for (const bad of ["nan", "inf", "-infinity", "Infinity", "1e999", "1.5abc", "0x1p3", "", "1,5"]) {
      expect(refused(xml(`<dict><key>V</key><real>${bad}</real></dict>`)), bad).toBe("mdm.malformedPlist");
    }
  });

  it("reads dates only in Apple's form (UTC, whole seconds) and refuses impossible ones", () => {
    expect(value("<date>2024-02-29T23:59:59Z</date>")).toEqual(new Date("2024-02-29T23:59:59Z"));
    expect(value("<date>\n0001-01-01T00:00:00Z\n</date>")).toEqual(new Date("0001-01-01T00:00:00Z"));
    for (const bad of ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T09:60:00Z", "2026-11-20T09:41:27.5Z", "2026-11-20T09:41:27", "2026-11-20T09:41:27+09:00", "2026-11-20", "Nov 20 2026", ""]) {
      expect(refused(xml(`<dict><key>V</key><date>${bad}</date></dict>`)), bad).toBe("mdm.malformedPlist");
    }
  });

  it("reads base64 data with any whitespace and optional padding, nothing else", () => {
    expect(value("<data>\n\tQUJD\n\tRA==\n</data>")).toEqual(Buffer.from("ABCD"));
    expect(value("<data>QUJDRA</data>")).toEqual(Buffer.from("ABCD"));
    for (const bad of ["QUJDR", "QU=JD", "QUJD=", "QUJDRA===", "QUJD-_", "&#65;"]) {
      expect(refused(xml(`<dict><key>V</key><data>${bad}</data></dict>`)), bad).toBe("mdm.malformedPlist");
    }
  });

  it("lets the last of repeated keys win, as the plist package and CFDictionary do", () => {
    expect(parsePlist(xml("<dict><key>A</key><string>x</string><key>B</key><true/><key>A</key><integer>2</integer></dict>"))).toEqual({ A: 2, B: true });
    expect(parsePlist(xml("<dict><key>constructor</key><string>x</string><key>toString</key><true/></dict>"))).toEqual({ constructor: "x", toString: true });
  });

  it("nests up to the depth limit and refuses deeper without running out of stack", () => {
    const nest = (n: number) => xml(`<dict><key>V</key>${"<array>".repeat(n - 1)}${"</array>".repeat(n - 1)}</dict>`);
    expect(MAX_PLIST_DEPTH).toBe(100);
    expect(parsePlist(nest(MAX_PLIST_DEPTH)).V).toBeInstanceOf(Array);
    expect(refused(nest(MAX_PLIST_DEPTH + 1))).toBe("mdm.malformedPlist");
    expect(refused(nest(60_000))).toBe("mdm.malformedPlist"); // ~900 KB, under the size limit
    const dicts = (n: number) => xml(`${"<dict><key>k</key>".repeat(n)}<true/>${"</dict>".repeat(n)}`);
    expect(refused(dicts(MAX_PLIST_DEPTH + 1))).toBe("mdm.malformedPlist");
    expect(parsePlist(dicts(MAX_PLIST_DEPTH)).k).toBeDefined();
  });

  it("never reads a DTD: internal subsets and entity declarations are refused, undeclared entities too", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]><plist><dict><key>A</key><string>&b;</string></dict></plist>`;
    const xxe = `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><dict><key>A</key><string>&x;</string></dict></plist>`;
    const emptySubset = `<!DOCTYPE plist []><plist><dict/></plist>`;
    const withPublicAndSubset = `<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd" [<!ENTITY x "y">]><plist><dict/></plist>`;
    for (const body of [laughs, xxe, emptySubset, withPublicAndSubset]) expect(refused(body), body).toBe("mdm.malformedPlist");
    for (const ent of ["&nbsp;", "&x;", "& amp;", "&amp", "&#;", "&#x;", "&#0;", "&#x0;", "&#xD800;", "&#xDFFF;", "&#x110000;", "&#99999999999;", "&#X41;", "&#x-41;", "a & b"]) {
      expect(refused(xml(`<dict><key>A</key><string>${ent}</string></dict>`)), ent).toBe("mdm.malformedPlist");
    }
  });

  it("refuses large hostile bodies in one pass (each would hang a quadratic reader)", () => {
    const n = 200_000; // each body stays under the 1 MB limit
    const bodies = [
      xml(`<dict><key>V</key><integer>1${" ".repeat(n)}x</integer></dict>`),
      xml(`<dict><key>V</key><date>${" \n".repeat(n)}x</date></dict>`),
      xml(`<dict><key>V</key><string>${"&amp".repeat(n)}</string></dict>`),
      xml(`<dict><key>V</key><string>${"<!--".repeat(n)}</string></dict>`),
      xml(`<dict>${"<key>k</key><string>".repeat(n / 20)}</dict>`),
      Buffer.from(`<?xml version="1.0"${" ".repeat(n)}x?><plist><dict/></plist>`),
      Buffer.from(`<!DOCTYPE plist${" ".repeat(n)}x><plist><dict/></plist>`),
    ];
    for (const body of bodies) expect(refused(body)).toBe("mdm.malformedPlist");
  });

  it("refuses malformed structure as a whole", () => {
    const bodies: [string, Buffer | string][] = [
      ["key without value", xml("<dict><key>A</key><string>x</string><key>B</key></dict>")],
      ["two keys in a row", xml("<dict><key>A</key><key>B</key><string>x</string></dict>")],
      ["value without key", xml("<dict><string>x</string></dict>")],
      ["text in a dict", xml("<dict>junk<key>A</key><string>x</string></dict>")],
      ["text in an array", xml("<dict><key>A</key><array>junk</array></dict>")],
      ["text in the plist", xml("junk<dict/>")],
      ["element in a string", xml("<dict><key>A</key><string>a<b/>c</string></dict>")],
      ["element in a key", xml("<dict><key><string>A</string></key><true/></dict>")],
      ["text in true", xml("<dict><key>A</key><true>yes</true></dict>")],
      ["null", xml("<dict><key>A</key><null/></dict>")],
      ["null in an array", xml("<dict><key>A</key><array><null/></array></dict>")],
      ["wrong case", xml("<dict><key>A</key><String>x</String></dict>")],
      ["prefixed", xml("<dict><key>A</key><x:string>x</x:string></dict>")],
      ["unclosed dict", xml("<dict><key>A</key><string>x</string>")],
      ["unclosed string", xml("<dict><key>A</key><string>x</dict>")],
      ["stray end tag", xml("<dict></array></dict>")],
      ["end tag with junk", xml("<dict></dict x>")],
      ["unterminated comment", xml("<dict><!-- </dict>")],
      ["unterminated CDATA", xml("<dict><key>A</key><string><![CDATA[x</string></dict>")],
      ["CDATA outside a string", xml("<dict><![CDATA[x]]></dict>")],
      ["processing instruction inside", xml("<dict><?pi x?></dict>")],
      ["no plist element", "<dict><key>A</key><string>x</string></dict>"],
      ["empty plist element", "<plist/>"],
      ["plist closed twice", Buffer.concat([xml("<dict/>"), Buffer.from("</plist>")])],
      ["second root", Buffer.concat([xml("<dict/>"), Buffer.from("<plist><dict/></plist>")])],
      ["doctype after the root", Buffer.concat([xml("<dict/>"), Buffer.from("<!DOCTYPE plist>")])],
      ["two doctypes", `<!DOCTYPE plist><!DOCTYPE plist><plist><dict/></plist>`],
      ["whitespace before the XML declaration", Buffer.concat([Buffer.from(" "), xml("<dict/>")])],
      ["second XML declaration", `<?xml version="1.0"?><?xml version="1.0"?><plist><dict/></plist>`],
      ["XML 2.0", `<?xml version="2.0"?><plist><dict/></plist>`],
      ["declared Latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?><plist><dict/></plist>`],
      ["unquoted attribute", "<plist version=1.0><dict/></plist>"],
      ["< in an attribute", '<plist version="<"><dict/></plist>'],
      ["bad entity in an attribute", '<plist version="&x;"><dict/></plist>'],
      ["attribute without space", '<plist version="1.0"x="y"><dict/></plist>'],
      ["raw NUL", xml("<dict><key>A</key><string>a\u0000b</string></dict>")],
    ];
    for (const [label, body] of bodies) expect(refused(body), label).toBe("mdm.malformedPlist");
  });
});

/** The old reading: the plist package (xmldom) with its Uint8Arrays as Buffers, as parsePlist returned them. */
function oldParse(body: Buffer): unknown {
  const { error, warn } = console;
  console.error = console.warn = () => {
    throw new Error("xmldom reported an error");
  };
  try {
    return buffers(plist.parse(body.toString("utf8")));
  } finally {
    console.error = error;
    console.warn = warn;
  }
}

function buffers(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(buffers);
  if (v && typeof v === "object" && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, buffers(x)]));
  return v;
}

/** A small seeded generator so a failure names a reproducible seed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const PIECES = ["a", "Z", "0", " ", "\t", "\n", "\r\n", "&", "<", ">", '"', "'", "]]>", "&amp;", "<![CDATA[", "-->", "山田", "🍣", "é", "\u00a0", "\ufeff"]; // not U+2028: see "keeps U+2028" above
  const text = () => Array.from({ length: int(8) }, () => pick(PIECES)).join("");
  const leaf = (): PlistInput => {
    switch (int(8)) {
      case 0: return text();
      case 1: return pick([0, 1, -1, 42, 8191, 2 ** 31, -(2 ** 40), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, int(1e9)]);
      case 2: return pick([0.5, -0.125, 3.14159, 1e-7, 1.25e-300, 123456.789, -2.5e-7, next()]);
      case 3: return next() < 0.5;
      case 4: return new Date(Math.floor(next() * 4e12 / 1000) * 1000);
      case 5: return Buffer.from(Array.from({ length: int(70) }, () => int(256)));
      default: return text();
    }
  };
  const tree = (depth: number): PlistInput => {
    if (depth > 4 || next() < 0.3) return leaf();
    if (next() < 0.5) return Array.from({ length: int(5) }, () => tree(depth + 1));
    return Object.fromEntries(Array.from({ length: int(6) }, () => [text(), tree(depth + 1)]));
  };
  return { dict: () => Object.fromEntries(Array.from({ length: 1 + int(6) }, () => [text(), tree(1)])) as Record<string, PlistInput> };
}

describe("parsePlist against the plist package it replaced", () => {
  const same = (label: string, body: Buffer) => expect(parsePlist(body), label).toEqual(oldParse(body));

  it("reads every fixture the same", () => {
    const names = readdirSync(FIXTURES).filter((f) => f.endsWith(".plist") && !f.startsWith("malformed") && !f.includes(".binary."));
    for (const name of names) same(name, fixture(name));
  });

  it("reads the device messages the simulator and the other unit tests build the same", () => {
    const udid = "00008110-001A2C3E0E81801E";
    const messages: Record<string, PlistInput>[] = [
      { MessageType: "Authenticate", Topic: "com.apple.mgmt.External.x", UDID: udid, SerialNumber: "F4GXK2M9Q7", ProductName: "iPhone15,2", OSVersion: "18.1", IMEI: "35 688211 482973 1" },
      { MessageType: "TokenUpdate", Topic: "com.apple.mgmt.External.x", UDID: udid, Token: Buffer.alloc(32, 7), PushMagic: "6B2F", UnlockToken: Buffer.alloc(2000, 0xa5), AwaitingConfiguration: false },
      { MessageType: "CheckOut", Topic: "t", UDID: udid },
      { Status: "Idle", UDID: udid },
      { Status: "NotNow", UDID: udid, CommandUUID: "C1" },
      { Status: "Error", UDID: udid, CommandUUID: "C2", ErrorChain: [{ ErrorCode: 4001, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: "プロファイルをインストールできません", USEnglishDescription: "Cannot install" }] },
      { Status: "Acknowledged", UDID: udid, CommandUUID: "C3", QueryResponses: { DeviceName: "山田の iPhone", BatteryLevel: 0.82, IsSupervised: true, AvailableDeviceCapacity: 101.5, DeviceCapacity: 128 } },
      { Status: "Acknowledged", UDID: udid, CommandUUID: "C4", InstalledApplicationList: Array.from({ length: 200 }, (_, i) => ({ Identifier: `com.example.app${i}`, Name: `App & ${i}`, Version: "1.0", BundleSize: 123456 + i, Installing: i % 7 === 0 })) },
      { CommandUUID: "C5", Command: { RequestType: "InstallProfile", Payload: fixture("checkout-iphone.plist") } },
    ];
    for (const m of messages) same(String(m.MessageType ?? m.Status ?? m.CommandUUID), Buffer.from(buildPlist(m)));
  });

  it("reads random nested values written by buildPlist the same", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const body = Buffer.from(buildPlist(random(seed).dict()));
      same(`seed ${seed}`, body);
    }
  });

  it("reads hand-written XML variants the same", () => {
    const variants = [
      "<dict><key>A</key><string>&amp;&lt;&gt;&quot;&apos;&#65;&#x1F363;</string></dict>",
      "<dict><key>A</key><string>a<![CDATA[<b>]]>c<!-- x -->d</string></dict>",
      "<dict>\n\t<!-- c -->\n\t<key>A</key>\n\t<array>\n\t\t<integer> 7 </integer>\n\t\t<real>1E3</real>\n\t</array>\n</dict>",
      "<dict><key>A</key><string>x\r\ny</string><key>B</key><string/><key>C</key><dict/><key>D</key><array/><key>E</key><data/></dict>",
      "<dict><key>A</key><string>x</string><key>A</key><string>y</string></dict>",
      '<dict a="1"><key>A</key><true></true><key>B</key><false/></dict>',
      "<dict><key>A</key><integer>18446744073709551615</integer><key>B</key><integer>-9223372036854775808</integer></dict>",
      "<dict><key>A</key><data>\n QUJD\n RA==\n </data><key>B</key><date>2026-11-20T09:41:27Z</date></dict>",
    ];
    for (const v of variants) same(v, xml(v));
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
