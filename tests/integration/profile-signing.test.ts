import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { seal } from "@/lib/crypto";
import { createEnrollment } from "@/lib/enrollment/service";
import { enrollmentProfile } from "@/lib/enrollment/profile";
import { configuredSigner, profileSigner } from "@/lib/pki/profile-signer";
import { deviceCa } from "@/lib/pki/device-ca";

// Verified enrollment profiles: with MAMORI_PROFILE_SIGNING_CERT/_KEY (a public hostname's TLS
// certificate with its intermediate, as a CA hands it out) the profile is signed with that chain
// and OpenSSL verifies it against the root alone; a setting that does not work falls back to the
// device CA and says why. The certificates are made with the openssl CLI, as an admin would have them.

useOwnDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "mamori-signing-"));
const f = (name: string) => path.join(dir, name);
const ctx = { ip: null, userAgent: null };
const actor = { id: null, label: "test" };

function openssl(...args: string[]): string {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

function ext(name: string, text: string): string {
  writeFileSync(f(name), text);
  return f(name);
}

beforeAll(async () => {
  // Root (trusted by the device) → intermediate → server certificate of mdm.example.jp (EC P-256, like most TLS certificates).
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "30", "-subj", "/CN=Test Root CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "inter.key", "-out", "inter.csr", "-subj", "/CN=Test Intermediate CA");
  openssl("x509", "-req", "-in", "inter.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "inter.pem", "-days", "30",
    "-extfile", ext("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"));
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=mdm.example.jp");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "inter.pem", "-CAkey", "inter.key", "-CAcreateserial", "-out", "server.pem", "-days", "30",
    "-extfile", ext("server.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:mdm.example.jp\n"));
  writeFileSync(f("fullchain.pem"), readFileSync(f("server.pem"), "utf8") + readFileSync(f("inter.pem"), "utf8"));
  writeFileSync(f("wrongorder.pem"), readFileSync(f("inter.pem"), "utf8") + readFileSync(f("server.pem"), "utf8"));
  const keyPem = readFileSync(f("root.key"), "utf8");
  await prisma().pushCertificate.create({
    data: { status: "ACTIVE", topic: "com.apple.mgmt.External.signing", subject: "s", issuer: "i", serial: "1", notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000),
      fingerprint: "signing-test", certPem: readFileSync(f("root.pem"), "utf8"), keySealed: seal(keyPem, "push-cert-key"), appleId: "a", uploadedByLabel: "t" },
  });
}, 60_000);

afterAll(() => {
  delete process.env.MAMORI_PROFILE_SIGNING_CERT;
  delete process.env.MAMORI_PROFILE_SIGNING_KEY;
  rmSync(dir, { recursive: true, force: true });
});

async function profile(): Promise<string> {
  const e = await createEnrollment({}, actor, ctx);
  const der = await enrollmentProfile(e.profileToken, "https://mdm.example.jp", ctx);
  writeFileSync(f("profile.der"), der);
  return f("profile.der");
}

/** What `openssl cms -verify` says with only `caFile` trusted: the content, or the error. */
function verify(file: string, caFile: string): { ok: boolean; out: string } {
  const r = spawnSync("openssl", ["cms", "-verify", "-inform", "DER", "-in", file, "-CAfile", caFile, "-purpose", "any"], { encoding: "utf8" });
  return { ok: r.status === 0, out: r.status === 0 ? r.stdout : r.stderr };
}

describe("enrollment profile signature", () => {
  it("is made with the configured chain and verifies against the root alone", async () => {
    process.env.MAMORI_PROFILE_SIGNING_CERT = f("fullchain.pem");
    process.env.MAMORI_PROFILE_SIGNING_KEY = f("server.key");
    const status = await profileSigner();
    expect(status.problem).toBeNull();
    expect(status.signer).toMatchObject({ configured: true, subject: "CN=mdm.example.jp" });
    expect(status.signer.chain).toHaveLength(1);
    const file = await profile();
    const v = verify(file, f("root.pem"));
    expect(v.ok, v.out).toBe(true);
    expect(v.out).toContain("<key>PayloadType</key>");
    expect(v.out).toContain("https://mdm.example.jp/api/mdm/connect");
    // The signer is the server certificate, and the intermediate travels with it.
    const certs = spawnSync("openssl", ["pkcs7", "-inform", "DER", "-in", file, "-print_certs", "-noout"], { encoding: "utf8" }).stdout;
    expect(certs).toContain("subject=CN = mdm.example.jp");
    expect(certs).toContain("subject=CN = Test Intermediate CA");
    // The device CA's own root does not vouch for it.
    writeFileSync(f("device-ca.pem"), (await deviceCa()).certPem);
    expect(verify(file, f("device-ca.pem")).ok).toBe(false);
  });

  it("PEM text works as well as a file path", () => {
    const s = configuredSigner({ MAMORI_PROFILE_SIGNING_CERT: readFileSync(f("fullchain.pem"), "utf8"), MAMORI_PROFILE_SIGNING_KEY: readFileSync(f("server.key"), "utf8") });
    expect(s?.subject).toBe("CN=mdm.example.jp");
  });

  it("without a configuration, the device CA signs (iOS: Not Verified) and its own root verifies it", async () => {
    delete process.env.MAMORI_PROFILE_SIGNING_CERT;
    delete process.env.MAMORI_PROFILE_SIGNING_KEY;
    expect(await profileSigner()).toMatchObject({ problem: null, signer: { configured: false } });
    const file = await profile();
    writeFileSync(f("device-ca.pem"), (await deviceCa()).certPem);
    expect(verify(file, f("device-ca.pem")).ok).toBe(true);
    expect(verify(file, f("root.pem")).ok).toBe(false);
  });

  it.each([
    ["onlyOne", { MAMORI_PROFILE_SIGNING_CERT: "fullchain.pem" }],
    ["unreadable", { MAMORI_PROFILE_SIGNING_CERT: "missing.pem", MAMORI_PROFILE_SIGNING_KEY: "server.key" }],
    ["noCertificate", { MAMORI_PROFILE_SIGNING_CERT: "server.key", MAMORI_PROFILE_SIGNING_KEY: "server.key" }],
    ["keyMismatch", { MAMORI_PROFILE_SIGNING_CERT: "fullchain.pem", MAMORI_PROFILE_SIGNING_KEY: "inter.key" }],
    ["brokenChain", { MAMORI_PROFILE_SIGNING_CERT: "wrongorder.pem", MAMORI_PROFILE_SIGNING_KEY: "inter.key" }],
  ] as const)("a configuration that does not work (%s) falls back to the device CA and says why", async (problem, vars) => {
    const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, f(v)]));
    const status = await profileSigner(env);
    expect(status.problem).toBe(problem);
    expect(status.signer.configured).toBe(false);
  });

  it("an expired certificate is refused, not used", async () => {
    const env = { MAMORI_PROFILE_SIGNING_CERT: f("fullchain.pem"), MAMORI_PROFILE_SIGNING_KEY: f("server.key") };
    const later = new Date(Date.now() + 60 * 86_400_000);
    expect((await profileSigner(env, later)).problem).toBe("expired");
  });
});
