import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db/client";
import { isUserError } from "@/lib/errors";
import { type CaMaterial, createCa, createCsr, createSelfSigned, issueCertificate, newRsaKeyPem } from "@/lib/pki/ca";
import { attrValue, envelopeData, signData, verifySignedData } from "@/lib/pki/cms";
import { type StoredCa, deviceCa, loadOrCreateCa } from "@/lib/pki/device-ca";
import {
  FAIL_INFO,
  SCEP_OID,
  type ScepDecision,
  type ScepRequest,
  getCaCaps,
  getCaCert,
  handlePkiOperation,
  pkiMessageFromQuery,
} from "@/lib/pki/scep";
import { scepEnroll } from "@/lib/pki/scep-client";
import { certificatesFromInput, describeCertificate } from "@/lib/pki/x509";
import { useOwnDatabase } from "../support/own-database";

useOwnDatabase();

const run = promisify(execFile);
let ca: StoredCa;
let server: http.Server;
let url: string;
let dir: string;
/** Single-use challenges, as the real route keeps them in the database. */
const challenges = new Set<string>();
const decided: ScepRequest[] = [];

async function decide(req: ScepRequest): Promise<ScepDecision> {
  decided.push(req);
  if (req.messageType === "RenewalReq") return { issue: { days: 30 } };
  if (req.challenge && challenges.delete(req.challenge)) return { issue: { days: 30 } };
  return { fail: "badRequest" };
}

function newChallenge(): string {
  const c = randomBytes(12).toString("hex");
  challenges.add(c);
  return c;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// What the route does, minus the database: operations mapped onto lib/pki/scep.ts.
async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const u = new URL(req.url ?? "/", "http://127.0.0.1");
  const op = u.searchParams.get("operation");
  const body = await readBody(req);
  const send = (status: number, type: string, data: Buffer | string) => {
    res.writeHead(status, { "content-type": type });
    res.end(data);
  };
  try {
    if (req.method === "GET" && op === "GetCACaps") return send(200, "text/plain", getCaCaps());
    if (req.method === "GET" && op === "GetCACert") {
      const r = getCaCert(ca);
      return send(200, r.contentType, r.body);
    }
    if (op === "PKIOperation") {
      const message = req.method === "POST" ? body : pkiMessageFromQuery(u.searchParams.get("message") ?? "");
      const r = await handlePkiOperation(message, ca, decide);
      return send(200, r.contentType, r.body);
    }
    send(404, "text/plain", "unknown operation");
  } catch (e) {
    if (isUserError(e)) return send(400, "text/plain", e.code);
    send(500, "text/plain", "internal error");
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-scep-"));
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scep`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function chainsToCa(certPem: string, caPem = ca.certPem): boolean {
  const cert = new X509Certificate(certPem);
  const issuer = new X509Certificate(caPem);
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** pkiStatus and failInfo of a CertRep, after checking that our CA signed it. */
function certRepStatus(der: Buffer): { status: string | null; failInfo: string | null; recipientNonce: Buffer | null } {
  const v = verifySignedData(der, { extraCertificates: [ca.certPem] });
  expect(new X509Certificate(v.signerCertPem).fingerprint256).toBe(new X509Certificate(ca.certPem).fingerprint256);
  const a = v.signedAttributes;
  return {
    status: attrValue.text(a.get(SCEP_OID.pkiStatus)),
    failInfo: attrValue.text(a.get(SCEP_OID.failInfo)),
    recipientNonce: attrValue.bytes(a.get(SCEP_OID.recipientNonce)),
  };
}

/** A hand-made PKIOperation, to send what no real client would. */
function pkiMessage(opts: {
  content: Buffer;
  signer: CaMaterial;
  messageType?: string;
  transactionId?: string | null;
  nonce?: Buffer;
}): Buffer {
  const attributes: Array<{ oid: string; value: ReturnType<typeof attrValue.octets> }> = [
    { oid: SCEP_OID.messageType, value: attrValue.printable(opts.messageType ?? "19") },
    { oid: SCEP_OID.senderNonce, value: attrValue.octets(opts.nonce ?? randomBytes(16)) },
  ];
  if (opts.transactionId !== null) {
    attributes.push({ oid: SCEP_OID.transactionID, value: attrValue.printable(opts.transactionId ?? "tx-1") });
  }
  return signData(opts.content, opts.signer, { attributes });
}

const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ""), "base64");

function temporaryIdentity(cn = "SCEP SIGNER"): CaMaterial {
  const keyPem = newRsaKeyPem();
  return { keyPem, certPem: createSelfSigned({ keyPem, subject: [["CN", cn]] }) };
}

async function post(body: Buffer): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${url}?operation=PKIOperation`, { method: "POST", body: new Uint8Array(body) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe("device CA", () => {
  it("is created once even when callers race, with its key sealed", async () => {
    const results = await Promise.all([deviceCa(), deviceCa(), loadOrCreateCa("device", "Mamori Device CA", 10)]);
    expect(new Set(results.map((r) => r.fingerprint)).size).toBe(1);
    ca = results[0]!;
    const rows = await prisma().certificateAuthority.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.keySealed).toMatch(/^v1\./);
    expect(rows[0]!.keySealed).not.toContain("PRIVATE KEY");
    expect(rows[0]!.fingerprint).toBe(describeCertificate(ca.certPem).fingerprintSha256);
    const info = describeCertificate(ca.certPem);
    expect(info.subject).toBe("CN=Mamori Device CA");
    expect(info.notAfter.getUTCFullYear() - new Date().getUTCFullYear()).toBe(10);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
    // Later calls come from the cache as long as the row is the same.
    expect(await deviceCa()).toBe(ca);
  });
});

describe("SCEP server with micromdm's scepclient", () => {
  let clientDir: string;
  let challenge: string;

  async function scepclient(workDir: string, args: string[]) {
    try {
      const r = await run("scepclient", ["-server-url", url, "-private-key", path.join(workDir, "key.pem"), "-certificate", path.join(workDir, "cert.pem"), ...args], { cwd: workDir });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
    }
  }

  it("answers GetCACaps and GetCACert", async () => {
    const caps = await fetch(`${url}?operation=GetCACaps`);
    expect(caps.headers.get("content-type")).toBe("text/plain");
    expect((await caps.text()).split("\n")).toEqual(expect.arrayContaining(["POSTPKIOperation", "SHA-256", "AES", "SCEPStandard", "Renewal"]));
    const cert = await fetch(`${url}?operation=GetCACert`);
    expect(cert.headers.get("content-type")).toBe("application/x-x509-ca-cert");
    expect(new X509Certificate(Buffer.from(await cert.arrayBuffer())).fingerprint256).toBe(new X509Certificate(ca.certPem).fingerprint256);
  });

  it("enrolls: the issued certificate chains to our CA", async () => {
    clientDir = mkdtempSync(path.join(dir, "client-"));
    challenge = newChallenge();
    decided.length = 0;
    const r = await scepclient(clientDir, ["-challenge", challenge, "-cn", "device-1", "-organization", "Mamori"]);
    expect(r.code, r.out).toBe(0);
    const certPem = readFileSync(path.join(clientDir, "cert.pem"), "utf8");
    expect(chainsToCa(certPem)).toBe(true);
    const info = describeCertificate(certPem);
    expect(info.commonName).toBe("device-1");
    expect(info.subject).toBe("C=US, O=Mamori, OU=MDM, CN=device-1");
    expect(new X509Certificate(certPem).keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ messageType: "PKCSReq", challenge, commonName: "device-1" });
    expect(new X509Certificate(decided[0]!.signerCertPem).subject).toContain("CN=SCEP SIGNER");
  });

  it("refuses a replayed challenge and a wrong one, and the client reports the FAILURE", async () => {
    const replay = await scepclient(mkdtempSync(path.join(dir, "client-")), ["-challenge", challenge, "-cn", "device-2"]);
    expect(replay.code).not.toBe(0);
    expect(replay.out).toContain("failInfo: badRequest");
    const wrong = await scepclient(mkdtempSync(path.join(dir, "client-")), ["-challenge", "not-a-challenge", "-cn", "device-3"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toContain("request failed, failInfo: badRequest");
  });

  it("renews with the current certificate (RenewalReq), and refuses one from another CA", async () => {
    const before = readFileSync(path.join(clientDir, "cert.pem"), "utf8");
    decided.length = 0;
    const r = await scepclient(clientDir, ["-cn", "device-1"]);
    expect(r.code, r.out).toBe(0);
    const after = readFileSync(path.join(clientDir, "cert.pem"), "utf8");
    expect(after).not.toBe(before);
    expect(chainsToCa(after)).toBe(true);
    expect(decided[0]).toMatchObject({ messageType: "RenewalReq", signerCertPem: before });

    const foreignDir = mkdtempSync(path.join(dir, "client-"));
    const other = createCa({ commonName: "Someone Else's CA", years: 1 });
    const keyPem = newRsaKeyPem();
    // scepclient reads PKCS#1 keys only.
    writeFileSync(path.join(foreignDir, "key.pem"), createPrivateKey(keyPem).export({ type: "pkcs1", format: "pem" }));
    writeFileSync(path.join(foreignDir, "cert.pem"), issueCertificate(other, { csr: createCsr({ keyPem, subject: [["CN", "device-1"]] }), days: 30 }));
    const foreign = await scepclient(foreignDir, ["-cn", "device-1"]);
    expect(foreign.code).not.toBe(0);
    expect(foreign.out).toContain("failInfo: badCertID");
  });
});

describe("SCEP server with our own client", () => {
  it("enrolls, over POST and over GET", async () => {
    const c = newChallenge();
    const r = await scepEnroll({ url, challenge: c, subject: [["CN", "sim-device"], ["O", "Mamori"]] });
    expect(chainsToCa(r.certPem)).toBe(true);
    expect(r.caCertPem).toBe(ca.certPem);
    expect(describeCertificate(r.certPem).subject).toBe("CN=sim-device, O=Mamori");
    expect(new X509Certificate(r.certPem).publicKey.export({ format: "jwk" })).toMatchObject({ kty: "RSA" });

    // Same enrollment, the PKIOperation sent as GET ...&message=<base64>.
    const asGet: typeof fetch = (input, init) => {
      if (init?.method !== "POST") return fetch(input, init);
      const u = new URL(String(input));
      u.searchParams.set("message", Buffer.from(init.body as Uint8Array).toString("base64"));
      return fetch(u);
    };
    const g = await scepEnroll({ url, challenge: newChallenge(), subject: "sim-get", fetch: asGet, cipher: "aes-128-cbc" });
    expect(chainsToCa(g.certPem)).toBe(true);
    expect(describeCertificate(g.certPem).commonName).toBe("sim-get");
  });

  it("throws scep.failed with the failInfo on a FAILURE", async () => {
    const err = await scepEnroll({ url, challenge: "wrong", subject: "sim-2" }).catch((e: unknown) => e);
    expect(isUserError(err) && err.code).toBe("scep.failed");
    expect(isUserError(err) && err.params).toEqual({ failInfo: "badRequest" });
  });

  it("renews with RenewalReq, keeping or replacing the key", async () => {
    const first = await scepEnroll({ url, challenge: newChallenge(), subject: "sim-renew" });
    const renewed = await scepEnroll({ url, subject: "sim-renew", renew: first });
    expect(chainsToCa(renewed.certPem)).toBe(true);
    expect(renewed.keyPem).not.toBe(first.keyPem);
    const sameKey = await scepEnroll({ url, subject: "sim-renew", keyPem: first.keyPem, renew: first });
    expect(new X509Certificate(sameKey.certPem).publicKey.export({ format: "jwk" })).toEqual(new X509Certificate(first.certPem).publicKey.export({ format: "jwk" }));
  });
});

describe("malformed PKIOperations", () => {
  function csrEnvelope(challenge = "whatever") {
    const keyPem = newRsaKeyPem();
    return envelopeData(der(createCsr({ keyPem, subject: [["CN", "x"]], challenge })), certificatesFromInput(ca.certPem)[0]!, "aes-128-cbc");
  }

  it("answers 400 to what cannot be parsed, and keeps serving", async () => {
    const good = pkiMessage({ content: csrEnvelope(), signer: temporaryIdentity() });
    for (const body of [Buffer.from("garbage"), Buffer.alloc(0), good.subarray(0, good.length - 20), randomBytes(3000)]) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.body.toString()).toBe("scep.malformed");
    }
    // Without the transactionID a reply would have to echo.
    expect((await post(pkiMessage({ content: csrEnvelope(), signer: temporaryIdentity(), transactionId: null }))).status).toBe(400);
    const get = await fetch(`${url}?operation=PKIOperation&message=${encodeURIComponent("%%%")}`);
    expect(get.status).toBe(400);
    expect((await scepEnroll({ url, challenge: newChallenge(), subject: "still-alive" })).certPem).toContain("BEGIN CERTIFICATE");
  });

  it("answers a signed FAILURE, echoing the nonce, to well-formed requests that are wrong", async () => {
    const signer = temporaryIdentity();
    const nonce = randomBytes(16);
    decided.length = 0;
    const expectFailure = async (body: Buffer, failInfo: keyof typeof FAIL_INFO) => {
      const r = await post(body);
      expect(r.status).toBe(200);
      const rep = certRepStatus(r.body);
      expect(rep).toMatchObject({ status: "2", failInfo: String(FAIL_INFO[failInfo]) });
      expect(rep.recipientNonce?.equals(nonce)).toBe(true);
    };
    // Content that is not an EnvelopedData at all, and one enveloped to another CA.
    await expectFailure(pkiMessage({ content: Buffer.from("plain text"), signer, nonce }), "badMessageCheck");
    const other = createCa({ commonName: "Other CA", years: 1 });
    const toOther = envelopeData(der(createCsr({ keyPem: newRsaKeyPem(), subject: [["CN", "x"]], challenge: "c" })), other.certPem);
    await expectFailure(pkiMessage({ content: toOther, signer, nonce }), "badMessageCheck");
    // Enveloped to us, but not a CSR inside.
    await expectFailure(pkiMessage({ content: envelopeData(Buffer.from("no csr"), ca.certPem), signer, nonce }), "badRequest");
    // A signature that does not verify: the signed content was changed.
    const envelope = csrEnvelope();
    const flipped = pkiMessage({ content: envelope, signer, nonce });
    const at = flipped.indexOf(envelope) + envelope.length - 10; // inside the ciphertext
    flipped[at] = flipped[at]! ^ 0xff;
    await expectFailure(flipped, "badMessageCheck");
    // GetCertInitial/CertPoll (we never answer PENDING), GetCRL, and nonsense types.
    for (const type of ["20", "22", "99", "abc"]) await expectFailure(pkiMessage({ content: csrEnvelope(), signer, nonce, messageType: type }), "badRequest");
    // RenewalReq signed by a self-signed certificate rather than one of ours.
    await expectFailure(pkiMessage({ content: csrEnvelope(), signer, nonce, messageType: "17" }), "badCertId");
    // None of these reached `decide`, so no challenge was spent on them.
    expect(decided).toHaveLength(0);
  });

  it("handles the same inputs without HTTP: FAILURE for wrong, scep.malformed for unparseable", async () => {
    const signer = temporaryIdentity();
    const r = await handlePkiOperation(pkiMessage({ content: csrEnvelope("nope"), signer }), ca, decide);
    expect(r).toMatchObject({ status: "FAILURE", failInfo: "badRequest", contentType: "application/x-pki-message" });
    const ok = await handlePkiOperation(pkiMessage({ content: csrEnvelope(newChallenge()), signer }), ca, decide);
    expect(ok.status).toBe("SUCCESS");
    expect(chainsToCa(ok.issuedCertPem!)).toBe(true);
    const err = await handlePkiOperation(Buffer.from([0x30, 0x03, 0x02, 0x01]), ca, decide).catch((e: unknown) => e);
    expect(isUserError(err) && err.code).toBe("scep.malformed");
    expect(() => pkiMessageFromQuery("a b+c/==")).not.toThrow();
    expect(pkiMessageFromQuery(Buffer.from([0xfb, 0xff]).toString("base64").replace("+", " ")).equals(Buffer.from([0xfb, 0xff]))).toBe(true);
  });
});
