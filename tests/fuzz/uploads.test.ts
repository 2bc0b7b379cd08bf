import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa, type TestCa } from "../support/test-ca";
import { expiredDates, p12Of, smimeIdentity, smimeP12 } from "../support/user-p12";
import { signPushCsr, toPkcs12 } from "../support/push-fixtures";
import { forgeToken, smime, tokenText, type AdeCredentials } from "../support/ade-fixtures";
import { startFakeDep, type FakeDep } from "../support/fake-dep";
import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import { uploadCertificate } from "@/lib/user-certificates/service";
import { generateRequest, pendingCsr, uploadPushCertificate, uploadVendorCertificate } from "@/lib/push-certificates/service";
import { adePublicKeyPem, ensureAdeKey, uploadAdeToken } from "@/lib/ade/service";
import { generateAdeKeyPair } from "@/lib/pki/ade-token";
import { toPem } from "@/lib/pki/x509";
import { caseCount, fuzz, timeoutFor, traceInput, type Rng, type RunResult } from "./support/fuzz";
import { mutateBytes, mutateDer, mutateText, plistValue, weirdString } from "./support/mutate";
import { StateGuard } from "./support/state";
import { quietRefusals } from "./support/quiet";

useOwnDatabase();
quietRefusals();

// Uploads an admin or end user makes, fuzzed through the service functions their server actions
// call: PKCS#12 identities (end users' S/MIME certificates), push and vendor certificates, and ADE
// server tokens. Each input is refused with a UserError, which stores nothing but its
// FAILURE/DENIED audit row, or accepted; any other error is a crash (a 500 to the user).

const ctx = { ip: "192.0.2.9", userAgent: "fuzz" };
const admin = { id: null, label: "fuzz-admin@example.jp" };
const guard = new StateGuard();
let ca: TestCa;
let dir: string;

/** One upload, judged: refused (UserError, nothing stored) or accepted (then `cleanup`). */
async function judge(run: () => Promise<unknown>, cleanup: () => Promise<unknown>): Promise<{ kind: string; ok: boolean; why?: string }> {
  try {
    await run();
  } catch (e) {
    if (!isUserError(e)) {
      await guard.rebase();
      return { kind: "crash", ok: false, why: `not a UserError: ${e instanceof Error ? e.stack?.split("\n").slice(0, 5).join("\n") : String(e)}` };
    }
    const stored = await guard.check(true);
    return { kind: e.code, ok: !stored, why: stored ?? undefined };
  }
  await cleanup();
  await guard.rebase();
  return { kind: "accepted", ok: true };
}

function report(r: RunResult) {
  expect(r.failures, r.failures.join("\n\n")).toEqual([]);
  expect(r.answers.get("accepted") ?? 0, "some inputs are still valid: the generator starts from real files").toBeGreaterThan(0);
  expect(r.answers.size, "refused for several reasons").toBeGreaterThan(3);
}

function openssl(args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A password: mostly the right one, else wrong, empty, huge or strange. */
function password(rng: Rng, right: string): string {
  return rng.chance(0.65) ? right : rng.pick(["", "wrong", right + " ", right.toUpperCase(), weirdString(rng), "p".repeat(100_000)]);
}

/** A file from valid seeds: as is, DER-mutated, byte-mutated, as PEM/base64 text, or something else entirely. */
function fileFrom(rng: Rng, seeds: Buffer[]): Buffer {
  const seed = rng.pick(seeds);
  switch (rng.int(10)) {
    case 0:
    case 1:
      return seed;
    case 2:
    case 3:
    case 4:
      return mutateDer(rng, seed, seeds);
    case 5:
      return mutateBytes(rng, seed, seeds);
    case 6:
      return Buffer.from(rng.chance(0.5) ? seed.toString("base64") : toPem(mutateDer(rng, seed, seeds)));
    case 7:
      return Buffer.from(mutateText(rng, seed.toString("latin1")), "latin1");
    case 8:
      return rng.bytes(rng.pick([0, 1, 64, 5000, 200_000]));
    default:
      return Buffer.from(weirdString(rng));
  }
}

beforeAll(async () => {
  ca = createTestCa("Fuzz CA");
  dir = mkdtempSync(path.join(tmpdir(), "mamori-fuzz-"));
  await guard.start();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fuzzed PKCS#12 uploads (end users' certificates)", () => {
  let seeds: Buffer[];
  let user: { id: string; email: string };
  beforeAll(async () => {
    const id = smimeIdentity(ca);
    seeds = [
      smimeP12(ca, { password: "secret" }),
      p12Of(id, null, { password: "secret", algorithm: "3des" }),
      p12Of(id, ca, { password: "secret", withKey: false }),
      smimeP12(ca, { password: "secret", ...expiredDates }),
    ];
    // OpenSSL's own: AES/PBKDF2 defaults, -legacy (RC2/3DES), and an EC key (refused: RSA only).
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.crt", "-subj", "/CN=Fuzz RSA", "-days", "30"]);
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ec.key", "-out", "ec.crt", "-subj", "/CN=Fuzz EC", "-days", "30"]);
    openssl(["pkcs12", "-export", "-inkey", "rsa.key", "-in", "rsa.crt", "-out", "modern.p12", "-passout", "pass:secret"]);
    openssl(["pkcs12", "-export", "-legacy", "-inkey", "rsa.key", "-in", "rsa.crt", "-out", "legacy.p12", "-passout", "pass:secret"]);
    openssl(["pkcs12", "-export", "-inkey", "ec.key", "-in", "ec.crt", "-out", "ec.p12", "-passout", "pass:secret"]);
    seeds.push(...["modern.p12", "legacy.p12", "ec.p12"].map((f) => readFileSync(path.join(dir, f))));
    const u = await prisma().user.create({ data: { email: "fuzz-user@example.jp", displayName: "Fuzz", role: "END_USER" } });
    user = { id: u.id, email: u.email };
    await guard.rebase();
  }, 120_000);

  it("every upload is accepted or refused with a UserError, and a refused one stores nothing", async () => {
    const r = await fuzz("pkcs12-upload", caseCount(250), async (rng) => {
      const file = fileFrom(rng, seeds);
      traceInput(file);
      const input = { purpose: rng.pick(["SIGNING", "ENCRYPTION"] as const), name: rng.chance(0.2) ? weirdString(rng) : undefined, file, password: password(rng, "secret") };
      // The hourly upload limit would refuse everything after 30: the limit is tested elsewhere.
      await prisma().rateLimit.deleteMany({ where: { key: { startsWith: "usercert.upload:" } } });
      return judge(() => uploadCertificate(user, input, ctx), () => prisma().userCertificate.deleteMany({ where: { userId: user.id } }));
    });
    report(r);
  }, timeoutFor(250, 200));
});

describe("fuzzed push-certificate and vendor-certificate uploads", () => {
  let pushSeeds: Buffer[];
  let vendorSeeds: Buffer[];
  let request: { csrPem: string; keySealed: string; createdByLabel: string };
  beforeAll(async () => {
    await generateRequest(admin, ctx);
    const csr = (await pendingCsr())!;
    const row = await prisma().pushCertificateRequest.findUniqueOrThrow({ where: { id: 1 } });
    request = { csrPem: row.csrPem, keySealed: row.keySealed, createdByLabel: row.createdByLabel };
    const apple = createTestCa("Apple Application Integration 2 Certification Authority (fuzz)");
    const good = signPushCsr(apple, csr, { uuid: randomUUID() });
    const expired = signPushCsr(apple, csr, { days: -1, notBefore: new Date(Date.now() - 400 * 86_400_000) });
    pushSeeds = [
      Buffer.from(good.certPem),
      good.certDer,
      Buffer.from(good.certPem + apple.certPem),
      Buffer.from(expired.certPem),
      Buffer.from(ca.issue({ subject: [{ name: "commonName", value: "www.example.jp" }] }).certPem),
    ];
    const vendor = ca.issue({ subject: [{ name: "commonName", value: "Mamori MDM Vendor (fuzz)" }] });
    vendorSeeds = [toPkcs12(vendor, "vendorpw"), toPkcs12(vendor, "vendorpw", [ca.certPem])];
    await guard.rebase();
  }, 120_000);

  /** After an accepted upload: back to one pending request and no certificate, so the seeds stay valid. */
  async function reset() {
    await prisma().pushCertificate.deleteMany({});
    await prisma().pushCertificateRequest.upsert({ where: { id: 1 }, create: { id: 1, ...request }, update: request });
  }

  it("every upload is accepted or refused with a UserError, and a refused one stores nothing", async () => {
    const r = await fuzz("push-certificate-upload", caseCount(250), async (rng) => {
      if (rng.chance(0.2)) {
        const file = fileFrom(rng, vendorSeeds);
        return judge(() => uploadVendorCertificate(file, password(rng, "vendorpw"), admin, ctx), async () => {});
      }
      const seed = rng.pick(pushSeeds);
      const file = rng.chance(0.3) && seed[0] === 0x2d ? Buffer.from(mutateText(rng, seed.toString("latin1")), "latin1") : fileFrom(rng, [seed, ...pushSeeds]);
      const appleId = rng.chance(0.8) ? "mdm@example.jp" : weirdString(rng);
      const notes = rng.chance(0.8) ? "" : weirdString(rng);
      return judge(() => uploadPushCertificate({ file, appleId, notes }, admin, ctx), reset);
    });
    report(r);
  }, timeoutFor(250, 200));
});

describe("fuzzed ADE server tokens", () => {
  let dep: FakeDep;
  let certPem: string;
  let otherCertPem: string;
  const savedDep = process.env.DEP_URL;
  const creds: AdeCredentials = {
    consumerKey: "CK_fuzz_48dd68d198350f51258e885ce9a5c37ab7f98543",
    consumerSecret: "CS_fuzz_34c7b2b531a600d99a0e4edcf4a78ded",
    accessToken: "AT_fuzz_927696831c59ba510cfe4ec1a69e5267c198812",
    accessSecret: "AS_fuzz_c03bd5e2d4d0b3c0d1f2e3a4b5c6d7e8f9a0",
    expiry: new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z"),
  };
  beforeAll(async () => {
    dep = await startFakeDep({ credentials: [creds] });
    process.env.DEP_URL = dep.url;
    await ensureAdeKey(admin, ctx);
    certPem = (await adePublicKeyPem())!;
    otherCertPem = generateAdeKeyPair().certPem;
    await guard.rebase();
  }, 120_000);
  afterAll(async () => {
    await dep.close();
    if (savedDep === undefined) delete process.env.DEP_URL;
    else process.env.DEP_URL = savedDep;
  });

  const FIELDS = ["consumer_key", "consumer_secret", "access_token", "access_secret", "access_token_expiry"];

  /** The token's text: right, with fields of other types or missing, or mangled as text. */
  function content(rng: Rng): string {
    const base = tokenText(creds);
    switch (rng.int(4)) {
      case 0:
        return base;
      case 1:
        return tokenText(creds, Object.fromEntries(Array.from({ length: rng.range(1, 3) }, () => [rng.pick(FIELDS), rng.chance(0.2) ? undefined : plistValue(rng)])));
      case 2:
        return tokenText(creds, { access_token_expiry: rng.pick(["", "2020-01-01T00:00:00Z", "not a date", "9999-99-99T99:99:99Z", "+275760-09-13T00:00:00.000Z", "1e400", "2027-02-30T00:00:00Z"]) });
      default:
        return mutateText(rng, base);
    }
  }

  function token(rng: Rng): Buffer {
    const text = Buffer.from(content(rng)).toString(); // lone surrogates as U+FFFD: forge cannot encode them
    const recipient = rng.chance(0.05) ? otherCertPem : certPem;
    const encrypted = forgeToken(text, recipient);
    const derB64 = encrypted.toString("latin1").split("\r\n\r\n")[1]!.replace(/\s+/g, "");
    const der = Buffer.from(derB64, "base64");
    switch (rng.int(8)) {
      case 0:
      case 1:
      case 2:
        return encrypted;
      case 3:
      case 4: {
        const mutated = mutateDer(rng, der);
        return mutated.length ? smime(mutated) : Buffer.alloc(0);
      }
      case 5:
        return Buffer.from(mutateText(rng, encrypted.toString("latin1")), "latin1");
      case 6:
        return rng.pick([der, Buffer.from(derB64), Buffer.from(toPem(der)), mutateBytes(rng, encrypted)]);
      default:
        return fileFrom(rng, [encrypted, der]);
    }
  }

  it("every token is accepted or refused with a UserError, and a refused one stores nothing", async () => {
    const r = await fuzz("ade-token-upload", caseCount(250), async (rng) => {
      const file = token(rng);
      return judge(() => uploadAdeToken(file, admin, ctx), async () => {});
    });
    report(r);
  }, timeoutFor(250, 200));
});
