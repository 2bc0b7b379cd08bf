import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { listenOnLoopback } from "../support/listen";
import { prisma } from "@/lib/db/client";
import { createEnrollment, consumeChallenge, redeemProfileToken } from "@/lib/enrollment/service";
import { deviceCa } from "@/lib/pki/device-ca";
import { createSelfSigned, issueCertificate, newRsaKeyPem } from "@/lib/pki/ca";
import { signData } from "@/lib/pki/cms";
import { answerDevice } from "@/lib/mdm/http";
import { buildPlist, type PlistDict } from "@/lib/mdm/plist";
import { handleCheckin, handleConnect } from "@/lib/mdm/service";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import { deviceRoute, serveDevice } from "@/lib/mdm/node-endpoint";
import { caseCount, fuzz, timeoutFor, type Rng, type RunResult } from "./support/fuzz";
import { mutateBytes, mutateDer, mutateText, percentEncode, weirdString } from "./support/mutate";
import { fuzzBody, seeds } from "./support/plist-gen";
import { StateGuard } from "./support/state";
import { quietRefusals } from "./support/quiet";

useOwnDatabase();
quietRefusals();

// The device endpoints under fuzzed check-in and connect bodies and Mdm-Signature headers, through
// answerDevice (identify, handle, answer: what both the Next.js routes and the Node endpoint run),
// and a smaller set over real HTTP against the Node endpoint. Every answer must be 200 or 400
// (413 for a body past 1 MB over HTTP): never a 5xx, never a 401 (a 401 unenrolls the device),
// and a refused body must change nothing.

const actor = { id: null, label: "fuzz" };
const TOPIC = "com.apple.mgmt.External.0a9e6c1d-2b3f-4c5d-8e7f-9a0b1c2d3e4f";
const UDID = "00008110-FUZZ000000000001";
type Signer = { certPem: string; keyPem: string };

let device: Signer;
let checkinSeeds: PlistDict[];
let connectSeeds: PlistDict[];
let commandIds: string[] = [];
const signers: Signer[] = [];
let foreign: Signer;
let expired: Signer;
const guard = new StateGuard();

async function newIdentity(): Promise<Signer> {
  const e = await createEnrollment({}, actor, { ip: null, userAgent: null });
  const { challenge } = await redeemProfileToken(e.profileToken);
  await consumeChallenge(challenge, e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certPem = issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id]], days: 30 });
  return { certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

const sign = (body: Buffer, signer: Signer = device) => signData(body, signer, { detached: true }).toString("base64");
const headers = (signature: string | null, extra: Record<string, string> = {}) => {
  const h = new Headers(extra);
  if (signature !== null) h.set("mdm-signature", signature);
  return h;
};

/** Bring the device back to a usable state after an input that (validly) retired or re-bound it. */
async function restoreDevice(): Promise<boolean> {
  const d = await prisma().device.findUnique({ where: { udid: UDID } });
  if (d && d.status !== "RETIRED" && d.status !== "WIPED") return false;
  await prisma().device.updateMany({ where: { udid: UDID }, data: { status: "ACTIVE" } });
  return true;
}

async function refillCommands(): Promise<void> {
  const d = await prisma().device.findUniqueOrThrow({ where: { udid: UDID } });
  const open = await prisma().command.count({ where: { deviceId: d.id, status: { in: ["QUEUED", "SENT", "NOT_NOW"] } } });
  if (open > 2) return;
  for (const requestType of ["DeviceInformation", "SecurityInfo", "ProfileList", "InstalledApplicationList", "CertificateList", "DeviceLocation"]) {
    const c = await enqueueCommand(d.id, { requestType, command: { RequestType: requestType, ...(requestType === "DeviceInformation" && { Queries: ["DeviceName", "OSVersion"] }) } }, { actor, push: false });
    commandIds.push(c.id);
  }
  commandIds = commandIds.slice(-60);
}

/** Judge one device answer: 200 or 400 only, and a 400 stored nothing. */
async function judge(a: { status: number; body?: string }, allowed = [200, 400]): Promise<{ kind: string; ok: boolean; why?: string }> {
  const kind = `${a.status}${a.status === 400 ? ` ${a.body}` : ""}`;
  if (!allowed.includes(a.status)) {
    await guard.rebase(); // judge the next case on its own
    return { kind, ok: false, why: `answered ${a.status} ${a.body ?? ""}` };
  }
  if (a.status !== 400 && (await restoreDevice())) {
    await guard.rebase();
    return { kind, ok: true };
  }
  const stored = await guard.check(a.status === 400);
  return stored ? { kind, ok: false, why: stored } : { kind, ok: true };
}

function report(r: RunResult) {
  expect(r.failures, r.failures.join("\n\n")).toEqual([]);
  expect(r.cases).toBeGreaterThan(0);
}

beforeAll(async () => {
  device = await newIdentity();
  signers.push(await newIdentity());
  checkinSeeds = seeds("checkin", UDID, TOPIC);
  connectSeeds = seeds("connect", UDID, TOPIC);
  expect(checkinSeeds.length).toBeGreaterThan(4);
  expect(connectSeeds.length).toBeGreaterThan(8);
  for (const body of [
    { MessageType: "Authenticate", Topic: TOPIC, UDID, ProductName: "iPhone16,2", SerialNumber: "FUZZSERIAL" },
    { MessageType: "TokenUpdate", Topic: TOPIC, UDID, Token: Buffer.alloc(32, 7), PushMagic: "PM" },
  ]) {
    const raw = Buffer.from(buildPlist(body));
    expect((await answerDevice(headers(sign(raw)), raw, handleCheckin)).status).toBe(200);
  }
  const keyPem = newRsaKeyPem();
  foreign = { keyPem, certPem: createSelfSigned({ keyPem, subject: [["CN", randomUUID()]] }) };
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  expired = {
    certPem: issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", randomUUID()]], days: -1 }),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  await refillCommands();
  await guard.start();
}, 120_000);

describe("fuzzed device bodies through answerDevice", () => {
  it("check-in: every body answers 200 or 400 and a refused one stores nothing", async () => {
    const r = await fuzz("checkin-plist", caseCount(400), async (rng) => {
      const body = fuzzBody(rng, checkinSeeds);
      return judge(await answerDevice(headers(sign(body)), body, handleCheckin));
    });
    report(r);
    // The fuzzer reaches past the parser: some bodies are valid, some refused for what they say.
    expect([...r.answers.keys()].some((k) => k === "200")).toBe(true);
    expect([...r.answers.keys()].some((k) => k.startsWith("400 mdm.") && k !== "400 mdm.invalidMessage")).toBe(true);
  }, timeoutFor(400, 30));

  it("connect: every body answers 200 or 400 and a refused one stores nothing", async () => {
    const r = await fuzz("connect-plist", caseCount(400), async (rng, i) => {
      if (i % 50 === 0) {
        await refillCommands();
        await guard.rebase();
      }
      const body = fuzzBody(rng, connectSeeds, (d) => (rng.chance(0.7) && commandIds.length ? { ...d, CommandUUID: rng.pick(commandIds) } : d));
      return judge(await answerDevice(headers(sign(body)), body, handleConnect));
    });
    report(r);
    expect(r.answers.get("200")).toBeGreaterThan(0);
  }, timeoutFor(400, 30));
});

/** A signature header: valid, mutated as DER or as text, by another signer, or none at all. */
function fuzzSignature(rng: Rng, body: Buffer): { header: Headers } {
  const valid = () => signData(body, rng.chance(0.8) ? device : rng.pick(signers), { detached: true, digest: rng.pick(["sha256", "sha256", "sha384", "sha512", "sha1"] as const) });
  let value: string | null;
  const extra: Record<string, string> = {};
  switch (rng.int(9)) {
    case 0:
      value = valid().toString("base64");
      break;
    case 1:
    case 2:
    case 3:
      value = mutateDer(rng, valid()).toString("base64");
      break;
    case 4:
      value = mutateText(rng, valid().toString("base64"));
      break;
    case 5: // signed by a certificate that is not ours, expired, or over another body
      value = rng.pick([
        () => signData(body, foreign, { detached: true }),
        () => signData(body, expired, { detached: true }),
        () => signData(mutateBytes(rng, body), device, { detached: true }),
        () => signData(body, device, { detached: false }),
        () => signData(body, device, { detached: true, certificates: [foreign.certPem] }),
      ])().toString("base64");
      break;
    case 6:
      value = weirdString(rng);
      break;
    case 7: // the proxy's client-certificate header instead
      value = null;
      extra["x-fuzz-client-cert"] = rng.pick([
        () => encodeURIComponent(device.certPem),
        () => percentEncode(mutateText(rng, device.certPem)),
        () => mutateText(rng, encodeURIComponent(device.certPem)),
        () => encodeURIComponent(foreign.certPem),
        () => weirdString(rng),
        () => "-----BEGIN CERTIFICATE-----%ff",
      ])();
      break;
    default:
      value = mutateBytes(rng, valid()).toString(rng.pick(["base64", "base64url", "hex", "latin1"] as const));
  }
  // What an HTTP parser lets through: no NUL, CR or LF in a header value.
  const clean = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, "").trim();
  const h = new Headers();
  if (value !== null) h.set("mdm-signature", clean(value));
  for (const [k, v] of Object.entries(extra)) h.set(k, clean(v));
  return { header: h };
}


describe("fuzzed Mdm-Signature headers", () => {
  const saved = { header: process.env.MAMORI_CLIENT_CERT_HEADER, proxies: process.env.MAMORI_TRUSTED_PROXIES };
  beforeAll(() => {
    process.env.MAMORI_CLIENT_CERT_HEADER = "x-fuzz-client-cert";
    process.env.MAMORI_TRUSTED_PROXIES = "1";
  });
  afterAll(() => {
    for (const [k, v] of [["MAMORI_CLIENT_CERT_HEADER", saved.header], ["MAMORI_TRUSTED_PROXIES", saved.proxies]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("every header answers 200 or 400, never 401 or 5xx, and a refused one stores nothing", async () => {
    const idle = Buffer.from(buildPlist({ Status: "Idle", UDID }));
    const r = await fuzz("mdm-signature", caseCount(400), async (rng) => {
      const body = rng.chance(0.5) ? idle : fuzzBody(rng, connectSeeds);
      const { header } = fuzzSignature(rng, body);
      return judge(await answerDevice(header, body, rng.chance(0.5) ? handleConnect : handleCheckin));
    });
    report(r);
    expect(r.answers.get("400 mdm.badSignature")).toBeGreaterThan(0);
    expect(r.answers.get("400 mdm.foreignCertificate")).toBeGreaterThan(0);
  }, timeoutFor(400, 30));
});

describe("fuzzed requests over HTTP to the Node device endpoint", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const handle = deviceRoute(req.method, req.url);
      if (handle) return void serveDevice(req, res, handle);
      res.writeHead(404).end("next");
    });
    port = await listenOnLoopback(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  function send(method: string, path: string, body: Buffer, h: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method, path, headers: h, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  const PATHS = ["/api/mdm/checkin", "/api/mdm/connect"];
  function fuzzPath(rng: Rng): string {
    const p = rng.pick(PATHS);
    const q = rng.pick(["", "?", "?x=1", "?%ff", "?a=%", "?&&==&", `?${"a".repeat(rng.pick([10, 5000]))}=1`, "?udid=%00", "#frag"]);
    const variant = rng.int(6);
    if (variant === 0) return percentEncode(mutateText(rng, p)).replace(/%25/g, "%");
    if (variant === 1) return p.replace("mdm", rng.pick(["MDM", "mdm/", "mdm%2f", "./mdm", "mdm/../mdm"])) + q;
    return p + q;
  }

  it("answers 200, 400, 413 or 431 on device paths, never 401 or 5xx, and stores nothing it refused", async () => {
    const r = await fuzz("device-http", caseCount(150), async (rng) => {
      const path = fuzzPath(rng);
      const method = rng.chance(0.8) ? "PUT" : rng.pick(["GET", "POST", "HEAD", "DELETE", "OPTIONS", "PATCH"]);
      const seeds = path.includes("checkin") ? checkinSeeds : connectSeeds;
      let body = fuzzBody(rng, seeds);
      if (rng.chance(0.05)) body = Buffer.alloc(1024 * 1024 + rng.range(1, 5000), 0x20);
      const h: Record<string, string> = {};
      if (rng.chance(0.8)) h["mdm-signature"] = rng.chance(0.8) ? sign(body) : fuzzSignature(rng, body).header.get("mdm-signature") ?? "";
      if (rng.chance(0.1)) h["content-type"] = rng.pick(["application/json", "text/plain; charset=latin1", "multipart/form-data; boundary=x", weirdString(rng).replace(/[^\x20-\x7e]/g, "")]);
      const a = await send(method, path, body, h).catch((e: Error) => {
        throw new Error(`${method} ${path.slice(0, 80)} (${body.length} bytes, headers ${JSON.stringify(h).slice(0, 200)}): ${e.message}`);
      });
      const device = deviceRoute(method, path) !== null;
      // Node's HTTP parser answers 400 (bad request line) or 431 (headers too large) before any route.
      if (!device) return { kind: `not a device request: ${a.status}`, ok: [400, 404, 431].includes(a.status), why: `fell through with ${a.status}` };
      return judge(a, [200, 400, 413, 431]);
    });
    report(r);
  }, timeoutFor(150, 60));
});
