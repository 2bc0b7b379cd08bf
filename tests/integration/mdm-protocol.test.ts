import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { createEnrollment, redeemProfileToken, consumeChallenge } from "@/lib/enrollment/service";
import { scepPkiOperation } from "@/lib/enrollment/scep";
import { deviceCa } from "@/lib/pki/device-ca";
import { issueCertificate } from "@/lib/pki/ca";
import { getCaCaps, getCaCert, pkiMessageFromQuery } from "@/lib/pki/scep";
import { scepEnroll } from "@/lib/pki/scep-client";
import { signData } from "@/lib/pki/cms";
import { buildPlist } from "@/lib/mdm/plist";
import { deviceEndpoint } from "@/lib/mdm/http";
import { handleCheckin, handleConnect } from "@/lib/mdm/service";
import { enqueueCommand } from "@/lib/mdm/enqueue";

useOwnDatabase();

// Bugs an independent device client found in the protocol path, each through the real endpoint
// code (deviceEndpoint: read, identify, handle, answer) with identities from the real device CA.

const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const TOPIC = "com.apple.mgmt.External.0a9e6c1d-2b3f-4c5d-8e7f-9a0b1c2d3e4f";
type Signer = { certPem: string; keyPem: string; enrollmentId: string };

async function newIdentity(userId?: string): Promise<Signer> {
  const e = await createEnrollment(userId ? { userId } : {}, actor, ctx);
  const { challenge } = await redeemProfileToken(e.profileToken);
  expect(await consumeChallenge(challenge, e.id)).toBe(e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certPem = issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id]], days: 30 });
  return { certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), enrollmentId: e.id };
}

function put(path: "checkin" | "connect", body: Record<string, unknown> | string, signer: Signer): Promise<Response> {
  const raw = Buffer.from(typeof body === "string" ? body : buildPlist(body as never));
  const req = new Request(`http://mdm.test/api/mdm/${path}`, { method: "PUT", body: raw, headers: { "mdm-signature": signData(raw, signer, { detached: true }).toString("base64") } });
  return deviceEndpoint(req, path === "checkin" ? (b, id) => handleCheckin(b, id) : (b, id) => handleConnect(b, id));
}

async function enroll(udid: string, signer: Signer, extra: Record<string, unknown> = {}) {
  const a = await put("checkin", { MessageType: "Authenticate", Topic: TOPIC, UDID: udid, ProductName: "iPhone16,2", ...extra }, signer);
  if (a.status !== 200) return a;
  return put("checkin", { MessageType: "TokenUpdate", Topic: TOPIC, UDID: udid, Token: Buffer.alloc(32, 7), PushMagic: "PM" }, signer);
}

const user = (email: string) => prisma().user.create({ data: { email, displayName: email, role: "END_USER" } });
const uuidOf = (body: string) => /<key>CommandUUID<\/key>\s*<string>([^<]+)</.exec(body)?.[1];

describe("connect", () => {
  it("answers 400, never 500, for a CommandUUID that is not a UUID, and records nothing", async () => {
    const id = await newIdentity();
    expect((await enroll("BAD-UUID", id)).status).toBe(200);
    const device = await prisma().device.findUniqueOrThrow({ where: { udid: "BAD-UUID" } });
    const queued = await enqueueCommand(device.id, { requestType: "ProfileList", command: { RequestType: "ProfileList" } }, { actor, push: false });
    for (const bad of ["x' OR '1'='1", "-".repeat(36), "", "0000"]) {
      const r = await put("connect", { Status: "Acknowledged", UDID: "BAD-UUID", CommandUUID: bad }, id);
      expect(r.status, bad).toBe(400);
      expect(await r.text()).toBe("mdm.invalidMessage");
    }
    expect((await prisma().command.findUniqueOrThrow({ where: { id: queued.id } })).status).toBe("QUEUED");
  });

  it("keeps an unreadable DeviceInformation answer as an error that says so, and answers the device normally", async () => {
    const id = await newIdentity();
    await enroll("MALFORMED", id);
    const device = await prisma().device.findUniqueOrThrow({ where: { udid: "MALFORMED" } });
    const info = await enqueueCommand(device.id, { requestType: "DeviceInformation", command: { RequestType: "DeviceInformation", Queries: ["DeviceName"] } }, { actor, push: false });
    const next = await enqueueCommand(device.id, { requestType: "SecurityInfo", command: { RequestType: "SecurityInfo" } }, { actor, push: false });
    expect(uuidOf(await (await put("connect", { Status: "Idle", UDID: "MALFORMED" }, id)).text())).toBe(info.id);
    // No QueryResponses at all, then (for the second) one of the wrong type.
    const r = await put("connect", { Status: "Acknowledged", UDID: "MALFORMED", CommandUUID: info.id }, id);
    expect(r.status).toBe(200);
    expect(uuidOf(await r.text())).toBe(next.id);
    const kept = await prisma().command.findUniqueOrThrow({ where: { id: info.id } });
    expect(kept.status).toBe("ERROR");
    expect(kept.errorChain).toEqual([{ code: null, domain: "Mamori", description: "The answer to DeviceInformation could not be read (QueryResponses)" }]);
    expect(await prisma().deviceInventory.count({ where: { deviceId: device.id } })).toBe(0);
    // A second copy of the same answer changes nothing and is not an error either.
    expect((await put("connect", { Status: "Acknowledged", UDID: "MALFORMED", CommandUUID: info.id, QueryResponses: "x" }, id)).status).toBe(200);
    expect((await prisma().command.findUniqueOrThrow({ where: { id: info.id } })).status).toBe("ERROR");
  });
});

describe("values too long for an indexed column (found by tests/fuzz)", () => {
  // Random text: PostgreSQL compresses index entries, so only incompressible values overflow them.
  const long = () => randomBytes(4000).toString("base64");

  it("a check-in field longer than any Apple sends is refused as invalid, not a 500", async () => {
    const id = await newIdentity();
    for (const [field, body] of [
      ["Topic", { MessageType: "Authenticate", Topic: long(), UDID: "LONG-1" }],
      ["UDID", { MessageType: "Authenticate", Topic: TOPIC, UDID: long() }],
      ["SerialNumber", { MessageType: "Authenticate", Topic: TOPIC, UDID: "LONG-1", SerialNumber: long() }],
    ] as const) {
      const r = await put("checkin", body, id);
      expect([r.status, await r.text()], field).toEqual([400, "mdm.invalidMessage"]);
    }
    expect((await enroll("LONG-1", id)).status).toBe(200);
    const r = await put("checkin", { MessageType: "TokenUpdate", Topic: long(), UDID: "LONG-1", Token: Buffer.alloc(32, 7), PushMagic: "PM" }, id);
    expect([r.status, await r.text()]).toEqual([400, "mdm.invalidMessage"]);
    expect(await prisma().device.findUniqueOrThrow({ where: { udid: "LONG-1" } })).toMatchObject({ topic: TOPIC, status: "ACTIVE" });
  });

  it("a DeviceInformation answer with such a value keeps it in the inventory only, and answers 200", async () => {
    const id = await newIdentity();
    await enroll("LONG-2", id);
    const device = await prisma().device.findUniqueOrThrow({ where: { udid: "LONG-2" } });
    const info = await enqueueCommand(device.id, { requestType: "DeviceInformation", command: { RequestType: "DeviceInformation", Queries: ["DeviceName", "OSVersion"] } }, { actor, push: false });
    expect(uuidOf(await (await put("connect", { Status: "Idle", UDID: "LONG-2" }, id)).text())).toBe(info.id);
    const name = long();
    const r = await put("connect", { Status: "Acknowledged", UDID: "LONG-2", CommandUUID: info.id, QueryResponses: { DeviceName: name, OSVersion: "18.1", SerialNumber: long() } }, id);
    expect(r.status).toBe(200);
    expect(await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).toMatchObject({ name: null, osVersion: "18.1", serialNumber: null });
    expect((await prisma().command.findUniqueOrThrow({ where: { id: info.id } })).status).toBe("ACKNOWLEDGED");
    const inv = await prisma().deviceInventory.findUniqueOrThrow({ where: { deviceId_kind: { deviceId: device.id, kind: "deviceInformation" } } });
    expect((inv.data as { name: string }).name).toBe(name);
  });
});

describe("connect, when the result looks like another command's", () => {
  it("reads it again as the answered command's type and hands out the next command once", async () => {
    const id = await newIdentity();
    await enroll("LOOKALIKE", id);
    const device = await prisma().device.findUniqueOrThrow({ where: { udid: "LOOKALIKE" } });
    const sec = await enqueueCommand(device.id, { requestType: "SecurityInfo", command: { RequestType: "SecurityInfo" } }, { actor, push: false });
    const next = await enqueueCommand(device.id, { requestType: "ProfileList", command: { RequestType: "ProfileList" } }, { actor, push: false });
    expect(uuidOf(await (await put("connect", { Status: "Idle", UDID: "LOOKALIKE" }, id)).text())).toBe(sec.id);
    const r = await put("connect", { Status: "Acknowledged", UDID: "LOOKALIKE", CommandUUID: sec.id, QueryResponses: { DeviceName: "x" } }, id);
    expect(r.status).toBe(200);
    expect(uuidOf(await r.text())).toBe(next.id);
    expect(await prisma().command.findUniqueOrThrow({ where: { id: sec.id } })).toMatchObject({
      status: "ERROR",
      errorChain: [{ code: null, domain: "Mamori", description: "The answer to SecurityInfo could not be read (SecurityInfo)" }],
    });
    expect(await prisma().deviceInventory.count({ where: { deviceId: device.id } })).toBe(0);
    expect((await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).name).not.toBe("x");
  });
});

describe("check-in", () => {
  it("a checked-out identity is finished: no Authenticate, TokenUpdate or connect brings the device back", async () => {
    const id = await newIdentity();
    await enroll("GONE", id);
    expect((await put("checkin", { MessageType: "CheckOut", Topic: TOPIC, UDID: "GONE" }, id)).status).toBe(200);
    for (const [path, body] of [
      ["checkin", { MessageType: "Authenticate", Topic: TOPIC, UDID: "GONE", ProductName: "iPhone16,2" }],
      ["checkin", { MessageType: "TokenUpdate", Topic: TOPIC, UDID: "GONE", Token: Buffer.alloc(32, 1), PushMagic: "x" }],
      ["connect", { Status: "Idle", UDID: "GONE" }],
    ] as const) {
      const r = await put(path, body, id);
      expect(r.status).toBe(400);
      expect(await r.text()).toBe("mdm.identityFinished");
    }
    expect((await prisma().device.findUniqueOrThrow({ where: { udid: "GONE" } })).status).toBe("RETIRED");
    const user = await put("connect", { Status: "Idle", UDID: "GONE", UserID: "A1B2-USER" }, id);
    expect([user.status, await user.text()]).toEqual([400, "mdm.identityFinished"]);
    // A new enrollment of the same device is welcome.
    expect((await enroll("GONE", await newIdentity())).status).toBe(200);
    expect((await prisma().device.findUniqueOrThrow({ where: { udid: "GONE" } })).status).toBe("ACTIVE");
  });

  it("refuses an Authenticate for another topic than the push certificate's, and audits it", async () => {
    const now = new Date();
    await prisma().pushCertificate.create({ data: { status: "ACTIVE", topic: TOPIC, subject: "s", issuer: "i", serial: "1", notBefore: now, notAfter: now, fingerprint: "topic-test", certPem: "p", appleId: "a", uploadedByLabel: "t" } });
    try {
      const id = await newIdentity();
      const r = await put("checkin", { MessageType: "Authenticate", Topic: "com.apple.mgmt.External.other", UDID: "OTHER-TOPIC", ProductName: "iPhone16,2" }, id);
      expect(r.status).toBe(400);
      expect(await r.text()).toBe("mdm.topicMismatch");
      expect(await prisma().device.count({ where: { udid: "OTHER-TOPIC" } })).toBe(0);
      const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "device.authenticate", result: "DENIED" }, orderBy: { id: "desc" } });
      expect(event.details).toMatchObject({ reason: "mdm.topicMismatch", topic: "com.apple.mgmt.External.other", expected: TOPIC });
      expect((await enroll("RIGHT-TOPIC", id)).status).toBe(200);
    } finally {
      await prisma().pushCertificate.deleteMany({ where: { fingerprint: "topic-test" } });
    }
  });

  it("never moves a device to another owner by its serial number or UDID", async () => {
    const [alice, mallory] = [await user("alice@example.jp"), await user("mallory@example.jp")];
    const aliceId = await newIdentity(alice.id);
    await enroll("ALICE-UDID", aliceId, { SerialNumber: "SERIAL-A" });
    const victim = await prisma().device.findUniqueOrThrow({ where: { udid: "ALICE-UDID" } });
    await enqueueCommand(victim.id, { requestType: "ProfileList", command: { RequestType: "ProfileList" } }, { actor, push: false });
    await prisma().device.update({ where: { id: victim.id }, data: { location: { latitude: 35.68, longitude: 139.76 } } });

    // Mallory enrolls her own phone claiming Alice's serial number, then Alice's UDID.
    for (const udid of ["MALLORY-UDID", "ALICE-UDID"]) {
      const r = await put("checkin", { MessageType: "Authenticate", Topic: TOPIC, UDID: udid, SerialNumber: "SERIAL-A", ProductName: "iPhone16,2" }, await newIdentity(mallory.id));
      expect(r.status, udid).toBe(400);
      expect(await r.text()).toBe("mdm.deviceOwnedByAnother");
    }
    const after = await prisma().device.findUniqueOrThrow({ where: { id: victim.id } });
    expect(after).toMatchObject({ udid: "ALICE-UDID", ownerId: alice.id, identityFingerprint: victim.identityFingerprint, status: "ACTIVE" });
    expect(await prisma().device.count({ where: { ownerId: mallory.id } })).toBe(0);
    const refusals = await prisma().auditEvent.findMany({ where: { action: "device.authenticate", result: "DENIED" } });
    expect(refusals.filter((e) => (e.details as { previousDeviceId?: string }).previousDeviceId === victim.id)).toHaveLength(2);

    // Alice's own phone coming back with a new UDID (erased) keeps its record and history.
    await enroll("ALICE-UDID-2", await newIdentity(alice.id), { SerialNumber: "SERIAL-A" });
    const back = await prisma().device.findUniqueOrThrow({ where: { udid: "ALICE-UDID-2" } });
    expect(back.id).toBe(victim.id);
    expect(await prisma().command.count({ where: { deviceId: victim.id } })).toBe(1);

    // Once retired, the phone may go to Mallory: as a new record, without Alice's history.
    await prisma().device.update({ where: { id: victim.id }, data: { status: "RETIRED" } });
    expect((await enroll("ALICE-UDID-2", await newIdentity(mallory.id), { SerialNumber: "SERIAL-A" })).status).toBe(200);
    const handed = await prisma().device.findUniqueOrThrow({ where: { udid: "ALICE-UDID-2" } });
    expect(handed.id).not.toBe(victim.id);
    expect(handed).toMatchObject({ ownerId: mallory.id, location: null });
    expect(await prisma().command.count({ where: { deviceId: handed.id } })).toBe(0);
    expect(await prisma().device.findUniqueOrThrow({ where: { id: victim.id } })).toMatchObject({ ownerId: alice.id, udid: null, status: "RETIRED" });
  });

  it("two Authenticates for one device at once both get an answer, not a 500", async () => {
    const [a, b] = [await newIdentity(), await newIdentity()];
    const body = { MessageType: "Authenticate", Topic: TOPIC, UDID: "TWICE", SerialNumber: "TWICE-S", ProductName: "iPhone16,2" };
    const answers = await Promise.all([put("checkin", body, a), put("checkin", body, b), put("checkin", body, a)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await prisma().device.count({ where: { udid: "TWICE" } })).toBe(1);
  });
});

describe("SCEP", () => {
  /** The SCEP endpoint's own functions behind a fetch, as the route calls them. */
  const scepFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const op = url.searchParams.get("operation");
    if (op === "GetCACaps") return new Response(getCaCaps());
    if (op === "GetCACert") return new Response(new Uint8Array(getCaCert(await deviceCa()).body), { headers: { "content-type": getCaCert(await deviceCa()).contentType } });
    const message = init?.body ? Buffer.from(init.body as Uint8Array) : pkiMessageFromQuery(url.searchParams.get("message") ?? "");
    const r = await scepPkiOperation(message, { ip: null });
    return new Response(new Uint8Array(r.body), { headers: { "content-type": r.contentType } });
  }) as typeof fetch;

  it("a request with the right challenge but another subject spends nothing; the right one then succeeds", async () => {
    const e = await createEnrollment({}, actor, ctx);
    const { challenge } = await redeemProfileToken(e.profileToken);
    const other = "11111111-2222-4333-8444-555555555555";
    await expect(scepEnroll({ url: "http://mdm.test/api/scep", challenge, subject: [["CN", other]], fetch: scepFetch })).rejects.toThrow();
    expect((await prisma().enrollment.findUniqueOrThrow({ where: { id: e.id } })).challengeUsedAt).toBeNull();
    const issued = await scepEnroll({ url: "http://mdm.test/api/scep", challenge, subject: [["CN", e.id]], fetch: scepFetch });
    expect(issued.certPem).toContain("BEGIN CERTIFICATE");
    expect((await prisma().enrollment.findUniqueOrThrow({ where: { id: e.id } })).challengeUsedAt).not.toBeNull();
    await expect(scepEnroll({ url: "http://mdm.test/api/scep", challenge, subject: [["CN", e.id]], fetch: scepFetch })).rejects.toThrow();
  });
});

describe("the device endpoints served by Node's HTTP server (scripts/server.mjs, ahead of Next.js)", () => {
  it("answers check-in and connect as the route handlers do, 413 past 1 MB, and leaves other requests to Next.js", async () => {
    const { createServer } = await import("node:http");
    const { deviceRoute, serveDevice } = await import("@/lib/mdm/node-endpoint");
    const server = createServer((req, res) => {
      const handle = deviceRoute(req.method, req.url);
      if (handle) return void serveDevice(req, res, handle);
      res.writeHead(404).end("next");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const id = await newIdentity();
      const send = (path: string, body: Record<string, unknown>, signer = id) => {
        const raw = Buffer.from(buildPlist(body as never));
        return fetch(`${base}${path}`, { method: "PUT", body: raw, headers: { "mdm-signature": signData(raw, signer, { detached: true }).toString("base64") } });
      };
      expect((await send("/api/mdm/checkin", { MessageType: "Authenticate", Topic: TOPIC, UDID: "NODE-1", ProductName: "iPhone16,2" })).status).toBe(200);
      expect((await send("/api/mdm/checkin", { MessageType: "TokenUpdate", Topic: TOPIC, UDID: "NODE-1", Token: Buffer.alloc(32, 9), PushMagic: "PM" })).status).toBe(200);
      const device = await prisma().device.findUniqueOrThrow({ where: { udid: "NODE-1" } });
      const cmd = await enqueueCommand(device.id, { requestType: "ProfileList", command: { RequestType: "ProfileList" } }, { actor, push: false });
      // A Mac user channel gets "nothing to do": commands go to the device channel.
      const userChannel = await send("/api/mdm/connect", { Status: "Idle", UDID: "NODE-1", UserID: "A1B2-USER" });
      expect([userChannel.status, await userChannel.text()]).toEqual([200, ""]);
      const idle = await send("/api/mdm/connect?from=device", { Status: "Idle", UDID: "NODE-1" });
      expect(idle.status).toBe(200);
      expect(idle.headers.get("content-type")).toBe("application/xml; charset=utf-8");
      expect(uuidOf(await idle.text())).toBe(cmd.id);
      const done = await send("/api/mdm/connect", { Status: "Acknowledged", UDID: "NODE-1", CommandUUID: cmd.id, ProfileList: [] });
      expect(done.status).toBe(200);
      expect(await done.text()).toBe("");
      expect((await prisma().command.findUniqueOrThrow({ where: { id: cmd.id } })).status).toBe("ACKNOWLEDGED");
      // Refusals: 400 with the reason, never 401.
      const other = await send("/api/mdm/connect", { Status: "Idle", UDID: "NODE-1" }, await newIdentity());
      expect([other.status, await other.text()]).toEqual([400, "mdm.identityMismatch"]);
      const unsigned = await fetch(`${base}/api/mdm/connect`, { method: "PUT", body: "<plist/>" });
      expect([unsigned.status, await unsigned.text()]).toEqual([400, "mdm.noIdentity"]);
      const big = await fetch(`${base}/api/mdm/connect`, { method: "PUT", body: new Uint8Array(1024 * 1024 + 1) });
      expect(big.status).toBe(413);
      // Anything else goes on to Next.js.
      expect((await fetch(`${base}/api/mdm/connect`)).status).toBe(404);
      expect((await fetch(`${base}/api/mdm/other`, { method: "PUT", body: "x" })).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
