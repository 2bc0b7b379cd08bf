import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUserError } from "@/lib/errors";
import { MAX_KDF_ITERATIONS, readPkcs12 } from "@/lib/pki/pkcs12";
import { publicKeyMatches } from "@/lib/pki/x509";
import { type Issued, type TestCa, applePushSubject, createTestCa } from "@/tests/support/test-ca";
import { codeOf } from "@/tests/support/refusal";

// Every file here is made by the real openssl CLI (or forge, where openssl refuses to make it).

const UUID = "0f4e2d7c-1b3a-4c5d-8e9f-a0b1c2d3e4f5";
const PASSWORD = "secret";
let dir: string;
let ca: TestCa;
let leaf: Issued;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-p12-"));
  ca = createTestCa();
  leaf = ca.issue({ subject: applePushSubject(UUID) });
  writeFileSync(path.join(dir, "leaf.pem"), leaf.certPem);
  writeFileSync(path.join(dir, "leaf.key"), leaf.keyPem);
  writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `openssl pkcs12 -export` into a file; returns its bytes and what `-info` says about it. */
function exportP12(name: string, extra: string[], password = PASSWORD): { data: Buffer; info: string } {
  const r = openssl(["pkcs12", "-export", "-out", name, "-passout", `pass:${password}`, ...extra]);
  if (r.status !== 0) throw new Error(`openssl pkcs12 -export ${extra.join(" ")} failed: ${r.out}`);
  const args = ["pkcs12", "-info", "-noout", "-in", name, "-passin", `pass:${password}`];
  let info = openssl(args);
  if (info.status !== 0) info = openssl([...args, "-legacy"]); // RC2 needs the legacy provider
  return { data: readFileSync(path.join(dir, name)), info: info.out };
}

const WITH_KEY = ["-in", "leaf.pem", "-inkey", "leaf.key", "-certfile", "ca.pem"];

/** RC2-40 / 3DES with a SHA-1 MAC, as old Windows and Keychain exports. */
function exportLegacy(name: string, password = PASSWORD): { data: Buffer; info: string; how: string } {
  try {
    return { ...exportP12(name, ["-legacy", ...WITH_KEY], password), how: "-legacy" };
  } catch {
    // OpenSSL builds without the legacy provider cannot do RC2; 3DES is in the default provider.
    const flags = ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"];
    return { ...exportP12(name, [...flags, ...WITH_KEY], password), how: flags.join(" ") };
  }
}

function expectLeaf(p12: ReturnType<typeof readPkcs12>) {
  expect(p12.cert.uid).toBe(`com.apple.mgmt.External.${UUID}`);
  expect(p12.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  expect(publicKeyMatches(p12.certPem, p12.keyPem!)).toBe(true);
  expect(p12.chainPems).toHaveLength(1);
  expect(p12.chainPems[0]!.replace(/\s/g, "")).toBe(ca.certPem.replace(/\s/g, ""));
}

describe("readPkcs12", () => {
  it("reads OpenSSL 3 defaults (PBES2, PBKDF2, AES-256-CBC, SHA-256 MAC)", () => {
    const { data, info } = exportP12("default.p12", WITH_KEY);
    expect(info).toContain("MAC: sha256");
    expect(info).toContain("PBES2, PBKDF2, AES-256-CBC");
    expectLeaf(readPkcs12(data, PASSWORD, { requireKey: true }));
  });

  it("reads legacy exports (RC2-40 / 3DES, SHA-1 MAC)", () => {
    const { data, info, how } = exportLegacy("legacy.p12");
    expect(info).toContain("MAC: sha1");
    expect(info).toContain("pbeWithSHA1And3-KeyTripleDES-CBC");
    // OpenSSL 3.0.19 here: -legacy works (RC2-40 certificates, 3DES key).
    if (how === "-legacy") expect(info).toContain("pbeWithSHA1And40BitRC2-CBC");
    expectLeaf(readPkcs12(data, PASSWORD));
  });

  it("reads 3DES-only files with a SHA-1 MAC", () => {
    const flags = ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"];
    const { data, info } = exportP12("3des.p12", [...flags, ...WITH_KEY]);
    expect(info).not.toContain("RC2");
    expectLeaf(readPkcs12(data, PASSWORD));
  });

  it("handles a non-ASCII password with PBES2 (UTF-8) and with legacy PBE (BMPString)", () => {
    const pw = "パスワード";
    expectLeaf(readPkcs12(exportP12("jp.p12", WITH_KEY, pw).data, pw));
    expectLeaf(readPkcs12(exportLegacy("jp-legacy.p12", pw).data, pw));
    expect(codeOf(() => readPkcs12(exportP12("jp2.p12", WITH_KEY, pw).data, "パスワート"))).toBe("pkcs12.wrongPassword");
  });

  it("reads an empty password", () => {
    expectLeaf(readPkcs12(exportP12("empty.p12", WITH_KEY, "").data, ""));
  });

  it("refuses a wrong password, with and without a MAC", () => {
    expect(codeOf(() => readPkcs12(exportP12("wrong.p12", WITH_KEY).data, "Secret"))).toBe("pkcs12.wrongPassword");
    expect(codeOf(() => readPkcs12(exportLegacy("wrong-legacy.p12").data, "wrong"))).toBe("pkcs12.wrongPassword");
    const noMac = exportP12("nomac.p12", ["-nomac", ...WITH_KEY]).data;
    expectLeaf(readPkcs12(noMac, PASSWORD));
    expect(codeOf(() => readPkcs12(noMac, "wrong"))).toBe("pkcs12.wrongPassword");
  });

  it("refuses a file asking for more key-derivation rounds than it can afford, before deriving (found by tests/fuzz)", () => {
    const many = ["-iter", String(MAX_KDF_ITERATIONS + 1), ...WITH_KEY];
    // The MAC's count, PBES2/PBKDF2's (without a MAC), legacy PKCS#12 PBE's (without a MAC).
    expect(codeOf(() => readPkcs12(exportP12("many.p12", many).data, PASSWORD))).toBe("pkcs12.tooManyIterations");
    expect(codeOf(() => readPkcs12(exportP12("many-nomac.p12", ["-nomac", ...many]).data, PASSWORD))).toBe("pkcs12.tooManyIterations");
    const legacy = ["-nomac", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", ...many];
    expect(codeOf(() => readPkcs12(exportP12("many-legacy.p12", legacy).data, PASSWORD))).toBe("pkcs12.tooManyIterations");
    // The fuzzer's input: a MAC iteration count of 70,000 bytes, on which forge spun for ever.
    const asn1 = forge.asn1.fromDer(exportP12("huge-count.p12", WITH_KEY).data.toString("binary"));
    const macData = (asn1.value as forge.asn1.Asn1[])[2]!;
    (macData.value as forge.asn1.Asn1[])[2] = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, "\x7f" + "\xff".repeat(69_999));
    const huge = Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
    const started = Date.now();
    expect(codeOf(() => readPkcs12(huge, PASSWORD))).toBe("pkcs12.tooManyIterations");
    expect(Date.now() - started).toBeLessThan(2_000);
    // Nothing stays patched: a normal file still reads.
    expectLeaf(readPkcs12(exportP12("after.p12", WITH_KEY).data, PASSWORD));
  });

  it("reads a certificate-only file and picks the non-CA certificate", () => {
    const { data } = exportP12("nokey.p12", ["-nokeys", "-in", "ca.pem", "-certfile", "leaf.pem"]);
    const p12 = readPkcs12(data, PASSWORD);
    expect(p12.keyPem).toBeNull();
    expect(p12.cert.uid).toBe(`com.apple.mgmt.External.${UUID}`);
    expect(codeOf(() => readPkcs12(data, PASSWORD, { requireKey: true }))).toBe("pkcs12.noPrivateKey");
  });

  it("refuses a file without certificates", () => {
    const { data } = exportP12("nocert.p12", ["-nocerts", "-inkey", "leaf.key"]);
    expect(codeOf(() => readPkcs12(data, PASSWORD))).toBe("pkcs12.noCertificate");
  });

  it("picks the leaf by its key, and refuses a key that belongs to no certificate", () => {
    // openssl will not export a key with an unrelated certificate, so forge makes these two.
    const make = (certs: forge.pki.Certificate[]) =>
      Buffer.from(
        forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(leaf.key, certs, PASSWORD, { algorithm: "3des" })).getBytes(),
        "binary",
      );
    expectLeaf(readPkcs12(make([ca.cert, leaf.cert]), PASSWORD));
    expect(codeOf(() => readPkcs12(make([ca.cert]), PASSWORD))).toBe("pkcs12.keyMismatch");
  });

  it("refuses what is not PKCS#12", () => {
    expect(codeOf(() => readPkcs12(randomBytes(2000), PASSWORD))).toBe("pkcs12.notPkcs12");
    expect(codeOf(() => readPkcs12(Buffer.from(leaf.certPem), PASSWORD))).toBe("pkcs12.notPkcs12");
    expect(codeOf(() => readPkcs12(leaf.certDer, PASSWORD))).toBe("pkcs12.notPkcs12");
  });

  it("refuses encryption it cannot do (Camellia) as unsupported, not as a wrong password", () => {
    const flags = ["-keypbe", "CAMELLIA-256-CBC", "-certpbe", "CAMELLIA-256-CBC"];
    const { data } = exportP12("camellia.p12", [...flags, ...WITH_KEY]);
    expect(codeOf(() => readPkcs12(data, PASSWORD))).toBe("pkcs12.unsupported");
  });

  it("refuses files over the size limit", () => {
    const { data } = exportP12("big.p12", WITH_KEY);
    let err: unknown;
    try {
      readPkcs12(data, PASSWORD, { maxBytes: 1024 });
    } catch (e) {
      err = e;
    }
    expect(isUserError(err) && err.code === "pkcs12.tooLarge" && err.params.maxKb).toBe(1);
    expect(codeOf(() => readPkcs12(Buffer.alloc(100 * 1024 + 1), PASSWORD))).toBe("pkcs12.tooLarge");
  });
});
