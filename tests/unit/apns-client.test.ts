import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import http2 from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";
import { spawn, spawnSync } from "node:child_process";
import type forge from "node-forge";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ApnsClient, type ApnsClientOptions } from "@/lib/apns/client";
import { certificateFingerprint, closeApnsClients, getApnsClient, pushTopic } from "@/lib/apns/provider";
import { applePushSubject, createTestCa, type Issued, type TestCa } from "@/tests/support/test-ca";
import { serverIdentity } from "@/tests/support/push-fixtures";
import { startFakeApns, type FakeApns, type FakeApnsOptions } from "@/tests/support/fake-apns";

// Real HTTP/2 over mutual TLS on 127.0.0.1 against tests/support/fake-apns.ts; no mocks.

const DAY = 86_400_000;
const uuid = randomUUID();
const topic = `com.apple.mgmt.External.${uuid}`;
const token = "A1B2C3D4".repeat(8); // 64 hex chars, upper case on purpose
const magic = "3C1E4E2A-5C74-4F5B-9B1A-0E7E4D3C2B1A";

let ca: TestCa;
let server: Issued;
let push: Issued;
let foreign: Issued; // right subject, wrong CA
let expired: Issued;
let noUid: Issued;
let renewed: Issued;

beforeAll(() => {
  ca = createTestCa();
  server = serverIdentity(ca);
  push = ca.issue({ subject: applePushSubject(uuid) });
  // One key for the other push certs: key generation is the slow part.
  const reuse = { publicKey: push.cert.publicKey as forge.pki.rsa.PublicKey, privateKey: push.key };
  foreign = createTestCa("Someone Else's CA").issue({ subject: applePushSubject(uuid), ...reuse });
  expired = ca.issue({
    subject: applePushSubject(uuid),
    ...reuse,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  noUid = ca.issue({ subject: [{ name: "commonName", value: "not a push cert" }], ...reuse });
  renewed = ca.issue({ subject: applePushSubject(uuid), ...reuse });
});

let fakes: FakeApns[] = [];
let clients: ApnsClient[] = [];

async function fake(extra: Partial<FakeApnsOptions> = {}): Promise<FakeApns> {
  const f = await startFakeApns({ caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem, ...extra });
  fakes.push(f);
  return f;
}

function client(f: FakeApns, identity: Issued = push, extra: Partial<ApnsClientOptions> = {}): ApnsClient {
  const c = new ApnsClient({
    url: f.url,
    certPem: identity.certPem,
    keyPem: identity.keyPem,
    ca: ca.certPem,
    baseBackoffMs: 5,
    requestTimeoutMs: 5_000,
    ...extra,
  });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(fakes.map((f) => f.close()));
  clients = [];
  fakes = [];
});

describe("ApnsClient", () => {
  it("delivers an MDM push with exactly the headers and body APNs expects", async () => {
    const f = await fake({ expectedTopic: topic });
    const before = Math.floor(Date.now() / 1000);
    const r = await client(f).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "delivered", status: 200, attempts: 1 });
    expect(r.apnsId).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.requests).toHaveLength(1);
    const req = f.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/3/device/${token.toLowerCase()}`);
    expect(req.body).toBe(`{"mdm":"${magic}"}`);
    expect(req.clientUid).toBe(topic);
    expect(req.headers["apns-topic"]).toBe(topic);
    expect(req.headers["apns-push-type"]).toBe("mdm");
    expect(req.headers["apns-priority"]).toBe("10");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["apns-id"]).toBe(r.apnsId); // ours, echoed back
    const exp = Number(req.headers["apns-expiration"]);
    expect(exp).toBeGreaterThanOrEqual(before + 7 * 86400);
    expect(exp).toBeLessThanOrEqual(before + 7 * 86400 + 5);
    expect(req.status).toBe(200);
  });

  it("sends the priority and expiration it is given", async () => {
    const f = await fake();
    const r = await client(f).push(token, { pushMagic: magic, topic, priority: 5, expiration: 1_900_000_000 });
    expect(r.outcome).toBe("delivered");
    expect(f.requests[0]!.headers["apns-priority"]).toBe("5");
    expect(f.requests[0]!.headers["apns-expiration"]).toBe("1900000000");
  });

  it("reuses one TLS session for 200 pushes and keeps streams in flight within the bound", async () => {
    const f = await fake({ responseDelayMs: 5 });
    const c = client(f, push, { concurrency: 10, connections: 1 });
    const tokens = Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(64, "0"));
    const results = await Promise.all(tokens.map((t) => c.push(t, { pushMagic: magic, topic })));
    expect(results.every((r) => r.outcome === "delivered" && r.attempts === 1)).toBe(true);
    expect(f.requests).toHaveLength(200);
    expect(f.sessions).toBe(1);
    expect(f.connections).toBe(1);
    expect(new Set(f.requests.map((r) => r.session))).toEqual(new Set([0]));
    expect(f.maxInFlight).toBe(10); // concurrent up to the bound, never beyond
  });

  it("fans out over several connections with many streams each, within the server's stream limit", async () => {
    const f = await fake({ responseDelayMs: 5, maxConcurrentStreams: 20 });
    const c = client(f, push, { connections: 4 });
    const tokens = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(64, "0"));
    const results = await Promise.all(tokens.map((t) => c.push(t, { pushMagic: magic, topic })));
    expect(results.every((r) => r.outcome === "delivered" && r.attempts === 1)).toBe(true);
    expect(f.sessions).toBe(4);
    expect(new Set(f.requests.map((r) => r.session))).toEqual(new Set([0, 1, 2, 3]));
    expect(f.maxInFlightPerSession).toBe(20); // many streams on one connection, never beyond SETTINGS_MAX_CONCURRENT_STREAMS
    expect(f.maxInFlight).toBeGreaterThan(20);
    expect(c.stats).toMatchObject({ connectionsOpened: 4, openConnections: 4 });
  });

  it("keeps delivering when connections get a GOAWAY mid-run, on new connections", async () => {
    const f = await fake({ goawayAfter: 150, maxConcurrentStreams: 50 });
    const c = client(f, push, { connections: 2 });
    const tokens = Array.from({ length: 1000 }, (_, i) => (i + 1).toString(16).padStart(64, "0"));
    const results = await Promise.all(tokens.map((t) => c.push(t, { pushMagic: magic, topic })));
    expect(results.filter((r) => r.outcome !== "delivered")).toEqual([]);
    expect(f.goaways).toBeGreaterThanOrEqual(5);
    expect(f.sessions).toBeGreaterThanOrEqual(7);
    // Every token got through; a connection answers its quota plus the streams already in flight.
    const ok = new Set(f.requests.filter((r) => r.status === 200).map((r) => r.token));
    expect(ok.size).toBe(1000);
    const perSession = new Map<number, number>();
    for (const r of f.requests) if (r.status) perSession.set(r.session, (perSession.get(r.session) ?? 0) + 1);
    expect(Math.max(...perSession.values())).toBeLessThanOrEqual(150 + 50);
  });

  it("reads a stream limit the server raises after connecting (APNs starts low)", async () => {
    const f = await fake({ responseDelayMs: 5, maxConcurrentStreams: 1 });
    const c = client(f, push, { connections: 1 });
    const tokens = Array.from({ length: 30 }, (_, i) => (i + 7).toString(16).padStart(64, "0"));
    expect((await Promise.all(tokens.map((t) => c.push(t, { pushMagic: magic, topic })))).every((r) => r.outcome === "delivered")).toBe(true);
    expect(f.maxInFlightPerSession).toBe(1);
  });

  it("maps BadDeviceToken and DeviceTokenNotForTopic to invalidToken without retrying", async () => {
    const f = await fake();
    f.respond(token, { status: 400, reason: "BadDeviceToken" });
    const c = client(f);
    expect(await c.push(token, { pushMagic: magic, topic })).toMatchObject({
      outcome: "invalidToken",
      status: 400,
      reason: "BadDeviceToken",
      attempts: 1,
    });
    expect(f.requests).toHaveLength(1);

    const g = await fake({ expectedTopic: "com.apple.mgmt.External.someone-else" });
    expect(await client(g).push(token, { pushMagic: magic, topic })).toMatchObject({
      outcome: "invalidToken",
      reason: "DeviceTokenNotForTopic",
      attempts: 1,
    });
  });

  it("refuses a non-hex token locally", async () => {
    const f = await fake();
    expect(await client(f).push("../../etc", { pushMagic: magic, topic })).toMatchObject({ outcome: "invalidToken", attempts: 0 });
    expect(f.connections).toBe(0);
  });

  it("maps 410 Unregistered to unregistered and keeps the timestamp", async () => {
    const f = await fake();
    f.respond(token, { status: 410, reason: "Unregistered", timestamp: 1_700_000_000_123 });
    const r = await client(f).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "unregistered", status: 410, reason: "Unregistered", timestamp: 1_700_000_000_123, attempts: 1 });
  });

  it("retries 429 and delivers on the second attempt", async () => {
    const f = await fake();
    f.respond(token, { status: 429, reason: "TooManyRequests" });
    const r = await client(f).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "delivered", status: 200, attempts: 2 });
    expect(f.requests.map((q) => q.status)).toEqual([429, 200]);
    expect(f.requests[0]!.headers["apns-id"]).toBe(f.requests[1]!.headers["apns-id"]);
  });

  it("gives up with retryLater after maxRetries on repeated 503", async () => {
    const f = await fake();
    const busy = { status: 503, reason: "ServiceUnavailable" };
    f.respond(token, busy, busy, busy, busy, busy);
    const r = await client(f, push, { maxRetries: 2 }).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "retryLater", status: 503, reason: "ServiceUnavailable", attempts: 3 });
    expect(f.requests).toHaveLength(3);
  });

  it("reconnects after 503 Shutdown (GOAWAY) and delivers", async () => {
    const f = await fake();
    f.respond(token, { status: 503, reason: "Shutdown" });
    const r = await client(f).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "delivered", attempts: 2 });
    expect(f.sessions).toBe(2);
    expect(f.requests.map((q) => q.session)).toEqual([0, 1]);
  });

  it("reconnects after the server resets the connection and delivers", async () => {
    const f = await fake();
    const c = client(f);
    expect((await c.push(token, { pushMagic: magic, topic })).outcome).toBe("delivered");
    f.dropConnectionOnce();
    const r = await c.push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "delivered", attempts: 2 });
    expect(f.requests.map((q) => [q.session, q.dropped ?? false])).toEqual([[0, false], [0, true], [1, false]]);
  });

  it("retries a request that times out, then gives up", async () => {
    const f = await fake({ responseDelayMs: 1_000 });
    const r = await client(f, push, { requestTimeoutMs: 100, maxRetries: 1 }).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "retryLater", status: 0, reason: "Timeout", attempts: 2 });
  });

  it("maps other 4xx to badRequest without retrying", async () => {
    const f = await fake();
    const c = client(f);
    expect(await c.push(token, { pushMagic: magic, topic: "com.example.wrong" })).toMatchObject({
      outcome: "badRequest",
      status: 400,
      reason: "BadTopic",
      attempts: 1,
    });
    expect(await c.push(token, { pushMagic: "", topic })).toMatchObject({ outcome: "badRequest", reason: "PayloadEmpty" });
    expect(await c.push(token, { pushMagic: "x".repeat(5000), topic })).toMatchObject({
      outcome: "badRequest",
      status: 413,
      reason: "PayloadTooLarge",
    });
    expect(f.requests).toHaveLength(3);
  });

  it("stops pushing after 403 BadCertificate", async () => {
    const f = await fake();
    f.respond(token, { status: 403, reason: "BadCertificate" });
    const c = client(f);
    expect(await c.push(token, { pushMagic: magic, topic })).toMatchObject({ outcome: "badCertificate", status: 403, attempts: 1 });
    expect(await c.push(token, { pushMagic: magic, topic })).toMatchObject({
      outcome: "badCertificate",
      reason: "BadCertificate",
      attempts: 0,
    });
    expect(f.requests).toHaveLength(1);
  });

  it("answers 403 BadCertificate to a client certificate without a topic (UID)", async () => {
    const f = await fake();
    const r = await client(f, noUid).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "badCertificate", status: 403, reason: "BadCertificate" });
  });

  it("treats a certificate from another CA as badCertificate and then fails fast without network", async () => {
    const f = await fake();
    const c = client(f, foreign, { maxRetries: 1 });
    const r = await c.push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "badCertificate", status: 0, reason: "TlsHandshakeRejected", attempts: 2 });
    expect(f.sessions).toBe(0);
    expect(f.tlsErrors).toBe(2);
    expect(f.requests).toHaveLength(0);
    const seen = f.connections;
    const started = Date.now();
    const again = await Promise.all([1, 2, 3].map(() => c.push(token, { pushMagic: magic, topic })));
    expect(again.every((a) => a.outcome === "badCertificate" && a.attempts === 0)).toBe(true);
    expect(Date.now() - started).toBeLessThan(100);
    expect(f.connections).toBe(seen);
    expect(c.refusal).toEqual({ status: 0, reason: "TlsHandshakeRejected" });
  });

  it("also recognises the refusal under TLS 1.2, where it fails before 'connect'", async () => {
    const f = await fake({ maxTlsVersion: "TLSv1.2" });
    const r = await client(f, foreign, { maxRetries: 1 }).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "badCertificate", reason: "TlsHandshakeRejected", attempts: 2 });
    expect(f.tlsErrors).toBe(2);
  });

  it("treats an expired client certificate as badCertificate", async () => {
    const f = await fake();
    const r = await client(f, expired, { maxRetries: 0 }).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "badCertificate", status: 0, attempts: 1 });
    expect(f.tlsErrors).toBe(1);
    expect(f.requests).toHaveLength(0);
  });

  it("times out on a server that never finishes the TLS handshake, without blaming the certificate", async () => {
    const sockets = new Set<Socket>();
    const tarpit = net.createServer((s) => sockets.add(s)); // accepts TCP, never speaks TLS
    await new Promise<void>((resolve) => tarpit.listen(0, "127.0.0.1", resolve));
    const { port } = tarpit.address() as AddressInfo;
    try {
      const c = new ApnsClient({ url: `https://127.0.0.1:${port}`, certPem: push.certPem, keyPem: push.keyPem, ca: ca.certPem, baseBackoffMs: 5, requestTimeoutMs: 100, maxRetries: 1 });
      clients.push(c);
      expect(await c.push(token, { pushMagic: magic, topic })).toMatchObject({ outcome: "retryLater", reason: "Timeout", attempts: 2 });
      expect(sockets.size).toBe(2); // a fresh connection for the retry
      expect(c.refusal).toBeUndefined();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => tarpit.close(resolve));
    }
  });

  it("refuses a key that does not belong to the certificate without touching the network", async () => {
    const f = await fake();
    const mismatched: Issued = { ...push, keyPem: server.keyPem };
    const r = await client(f, mismatched).push(token, { pushMagic: magic, topic });
    expect(r).toMatchObject({ outcome: "badCertificate", status: 0, attempts: 0 });
    expect(f.connections).toBe(0);
  });

  it("lets running pushes finish on close() and refuses new ones", async () => {
    const f = await fake({ responseDelayMs: 50 });
    const c = client(f);
    const running = c.push(token, { pushMagic: magic, topic });
    await new Promise((r) => setTimeout(r, 10));
    await c.close();
    expect((await running).outcome).toBe("delivered");
    await expect(c.push(token, { pushMagic: magic, topic })).rejects.toThrow(/closed/);
  });
});

// Apple refuses a bad client certificate with a TLS alert, which Node's TLS server cannot send
// (see fake-apns.ts). OpenSSL's own server can, so use it when the binary is there.
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe.skipIf(!hasOpenssl)("TLS alerts from a real OpenSSL server", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "apns-ossl-"));
    writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
    writeFileSync(path.join(dir, "srv.pem"), server.certPem);
    writeFileSync(path.join(dir, "srv.key"), server.keyPem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["TLS 1.3", "-tls1_3"],
    ["TLS 1.2", "-tls1_2"],
  ])("maps unknown_ca and certificate_expired alerts (%s) to badCertificate on the first attempt", async (_name, version) => {
    const args = ["s_server", "-accept", "127.0.0.1:0", "-cert", "srv.pem", "-key", "srv.key", "-CAfile", "ca.pem"];
    const proc = spawn("openssl", [...args, "-Verify", "1", "-verify_return_error", "-alpn", "h2", version!], { cwd: dir });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        proc.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        proc.once("exit", () => reject(new Error("openssl s_server exited")));
      });
      for (const [id, alert] of [
        [foreign, "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"],
        [expired, "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED"],
      ] as const) {
        const c = new ApnsClient({ url: `https://127.0.0.1:${port}`, certPem: id.certPem, keyPem: id.keyPem, ca: ca.certPem, baseBackoffMs: 5 });
        clients.push(c);
        expect(await c.push(token, { pushMagic: magic, topic })).toEqual({ outcome: "badCertificate", status: 0, reason: alert, attempts: 1 });
      }
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = once(proc, "exit");
        proc.kill();
        await exited;
      }
    }
  });
});

describe("fake APNs strictness", () => {
  // Raw HTTP/2 requests, to prove the fake rejects what Apple rejects.
  async function raw(f: FakeApns, headers: http2.OutgoingHttpHeaders, body: string) {
    const s = http2.connect(f.url, { cert: push.certPem, key: push.keyPem, ca: ca.certPem });
    s.on("error", () => {}); // the request's own error is what the test looks at
    try {
      return await new Promise<{ status: number; reason?: string }>((resolve, reject) => {
        const req = s.request(headers, { endStream: false }); // GET would end the stream itself
        let status = 0;
        let text = "";
        req.on("response", (h) => (status = Number(h[":status"])));
        req.on("data", (c: Buffer) => (text += c.toString()));
        req.on("end", () => resolve({ status, reason: text ? (JSON.parse(text) as { reason: string }).reason : undefined }));
        req.on("error", reject);
        req.end(body);
      });
    } finally {
      s.close();
    }
  }
  const base = {
    ":method": "POST",
    ":path": `/3/device/${token}`,
    "apns-topic": topic,
    "apns-push-type": "mdm",
  };
  const ok = `{"mdm":"${magic}"}`;

  it.each([
    ["GET", { ":method": "GET" }, ok, 405, "MethodNotAllowed"],
    ["another path", { ":path": "/3/devices/x" }, ok, 404, "BadPath"],
    ["a short token", { ":path": "/3/device/abc" }, ok, 400, "BadDeviceToken"],
    ["push type alert", { "apns-push-type": "alert" }, ok, 400, "InvalidPushType"],
    ["no topic", { "apns-topic": undefined }, ok, 400, "MissingTopic"],
    ["a topic the cert lacks", { "apns-topic": "com.example.app" }, ok, 400, "BadTopic"],
    ["priority 1", { "apns-priority": "1" }, ok, 400, "BadPriority"],
    ["expiration 'soon'", { "apns-expiration": "soon" }, ok, 400, "BadExpirationDate"],
    ["a bad apns-id", { "apns-id": "not-a-uuid" }, ok, 400, "BadMessageId"],
    ["a repeated header", { "apns-priority": ["10", "10"] }, ok, 400, "DuplicateHeaders"],
    ["no body", {}, "", 400, "PayloadEmpty"],
    ["an empty PushMagic", {}, `{"mdm":""}`, 400, "PayloadEmpty"],
    ["invalid JSON", {}, "{mdm}", 400, "BadPayload"],
    ["an aps key", {}, `{"mdm":"x","aps":{}}`, 400, "BadPayload"],
    ["a 4 KB+ body", {}, `{"mdm":"${"x".repeat(4100)}"}`, 413, "PayloadTooLarge"],
    ["a correct push", {}, ok, 200, undefined],
  ] as [string, http2.OutgoingHttpHeaders, string, number, string | undefined][])("answers %s with %i %s", async (_name, over, body, status, reason) => {
    const f = await fake();
    const headers: http2.OutgoingHttpHeaders = { ...base, ...over };
    for (const k of Object.keys(headers)) if (headers[k] === undefined) delete headers[k];
    expect(await raw(f, headers, body)).toEqual({ status, reason });
  });
});

describe("getApnsClient", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "apns-ca-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await closeApnsClients();
    delete process.env.APNS_URL;
    delete process.env.APNS_CA_FILE;
  });

  it("reads the topic and fingerprint of a push certificate", () => {
    expect(pushTopic(push.certPem)).toBe(topic);
    expect(pushTopic(server.certPem)).toBeUndefined();
    expect(certificateFingerprint(push.certPem)).toMatch(/^[0-9a-f]{64}$/);
    expect(certificateFingerprint(push.certPem)).not.toBe(certificateFingerprint(renewed.certPem));
  });

  it("reuses the client for the same certificate and replaces it after renewal", async () => {
    const f = await fake();
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, ca.certPem);
    process.env.APNS_URL = f.url;
    process.env.APNS_CA_FILE = caFile;

    const first = getApnsClient({ certPem: push.certPem, keyPem: push.keyPem }, { baseBackoffMs: 5 });
    expect(getApnsClient({ certPem: push.certPem, keyPem: push.keyPem })).toBe(first);
    expect((await first.push(token, { pushMagic: magic, topic })).outcome).toBe("delivered");

    const next = getApnsClient({ certPem: renewed.certPem, keyPem: renewed.keyPem });
    expect(next).not.toBe(first);
    expect(first.isClosed).toBe(true);
    expect(getApnsClient({ certPem: renewed.certPem, keyPem: renewed.keyPem })).toBe(next);
    expect((await next.push(token, { pushMagic: magic, topic })).outcome).toBe("delivered");
    expect(f.requests.map((r) => r.session)).toEqual([0, 1]); // the renewed cert made its own connection

    const cached = (globalThis as { __mamoriApnsClients?: Map<string, unknown> }).__mamoriApnsClients;
    expect(cached?.size).toBe(1);
  });
});
