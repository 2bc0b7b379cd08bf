import { createServer, type AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa, serverCertificate } from "../support/test-ca";
import { prisma } from "@/lib/db/client";
import { sendMail } from "@/lib/mail";
import { getSmtpConfig, saveSmtpConfig, smtpFromUrl, type SmtpInput } from "@/lib/mail/smtp";
import { mailTransport, sendTestMail } from "@/lib/mail/status";
import { setupChecklist } from "@/lib/setup-checklist";
import { openString } from "@/lib/crypto";

useOwnDatabase();

// Mail through a real SMTP server (the smtp-server package) started here: STARTTLS and TLS with
// a certificate from a test CA, AUTH, and the failures an admin meets: a closed port, a refused
// login, an untrusted certificate, a relay without STARTTLS, a refused recipient.

const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.7", userAgent: null };
const ca = createTestCa("Example Corp Mail CA");
const leaf = serverCertificate(ca);
const otherCa = createTestCa("Somebody Else's CA");

interface Received { from: string; to: string[]; raw: string; user?: string; secure: boolean }
const servers: SMTPServer[] = [];

async function smtpServer(opts: Partial<SMTPServerOptions> & { users?: Record<string, string> } = {}) {
  const received: Received[] = [];
  const { users = { mamori: "relay-secret" }, ...rest } = opts;
  const server = new SMTPServer({
    key: leaf.keyPem,
    cert: leaf.certPem,
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: false,
    // The relay answers AUTH only over TLS, as real relays do.
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username && users[auth.username] === auth.password) return cb(null, { user: auth.username });
      return cb(Object.assign(new Error("5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
          user: session.user as string | undefined,
          secure: session.secure,
        });
        cb();
      });
    },
    ...rest,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const config = (over: Partial<SmtpInput>): SmtpInput => ({
  host: "localhost", port: 587, security: "starttls", username: "mamori", password: "relay-secret", clearPassword: false, caPem: ca.certPem, ...over,
});

beforeAll(async () => {
  await prisma().setting.upsert({ where: { key: "mail" }, create: { key: "mail", value: { from: "Mamori <mdm@example.jp>" } }, update: { value: { from: "Mamori <mdm@example.jp>" } } });
});
afterEach(() => {
  delete process.env.SMTP_URL;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

describe("SMTP settings", () => {
  it("are validated field by field, the password sealed, a blank password keeps the stored one", async () => {
    await expect(saveSmtpConfig(config({ host: "smtp example" }), actor, ctx)).rejects.toMatchObject({ code: "mail.smtp.hostInvalid", params: { field: "host" } });
    await expect(saveSmtpConfig(config({ port: 70000 }), actor, ctx)).rejects.toMatchObject({ code: "mail.smtp.portInvalid", params: { field: "port" } });
    await expect(saveSmtpConfig(config({ caPem: "not a certificate" }), actor, ctx)).rejects.toMatchObject({ code: "mail.smtp.caInvalid" });
    // Every field at once, each with its own sentence.
    await expect(saveSmtpConfig(config({ host: "smtp example", port: 0, caPem: "x" }), actor, ctx)).rejects.toMatchObject({
      fields: { host: { code: "mail.smtp.hostInvalid" }, port: { code: "mail.smtp.portInvalid" }, caPem: { code: "mail.smtp.caInvalid" } },
    });
    await expect(saveSmtpConfig(config({ username: "" }), actor, ctx)).rejects.toMatchObject({ code: "mail.smtp.usernameRequired" });
    expect(await prisma().setting.findUnique({ where: { key: "smtp" } })).toBeNull();

    await saveSmtpConfig(config({ host: "smtp.example.jp" }), actor, ctx);
    const row = await prisma().setting.findUniqueOrThrow({ where: { key: "smtp" } });
    expect(JSON.stringify(row.value)).not.toContain("relay-secret");
    const saved = await getSmtpConfig();
    expect(openString(saved.passwordSealed!, "smtp.password")).toBe("relay-secret");
    await saveSmtpConfig(config({ host: "smtp.example.jp", port: 465, security: "tls", password: "" }), actor, ctx);
    expect((await getSmtpConfig()).passwordSealed).toBe(saved.passwordSealed);
    await saveSmtpConfig(config({ host: "smtp.example.jp", password: "", clearPassword: true, username: "" }), actor, ctx);
    expect((await getSmtpConfig()).passwordSealed).toBeNull();
    const audits = await prisma().auditEvent.findMany({ where: { action: "mail.smtp" }, orderBy: { id: "asc" } });
    expect(audits).toHaveLength(3);
    expect(JSON.stringify(audits.map((a) => a.details))).not.toContain("relay-secret");
    expect(audits[0]!.details).toMatchObject({ host: "smtp.example.jp", port: 587, security: "starttls", passwordChanged: true });
  });

  it("SMTP_URL: smtps is TLS, smtp needs STARTTLS unless starttls=off; credentials decoded", () => {
    expect(smtpFromUrl("smtps://user%40example.jp:p%40ss@mail.example.jp")).toMatchObject({ host: "mail.example.jp", port: 465, security: "tls", username: "user@example.jp", password: "p@ss", source: "env" });
    expect(smtpFromUrl("smtp://relay.internal:25?starttls=off")).toMatchObject({ port: 25, security: "none", username: null });
    expect(smtpFromUrl("smtp://relay.internal")).toMatchObject({ port: 587, security: "starttls" });
    expect(() => smtpFromUrl("http://relay.internal")).toThrow();
    expect(() => smtpFromUrl("not a url")).toThrow();
  });
});

describe("sending through SMTP", () => {
  it("STARTTLS with a login: the mail arrives whole, the row says sent, the test counts for the checklist", async () => {
    const { port, received } = await smtpServer();
    await saveSmtpConfig(config({ port }), actor, ctx);
    expect(await mailTransport()).toEqual({ transport: "smtp", lastTestOk: false });
    expect((await setupChecklist()).find((i) => i.key === "mail")).toMatchObject({ state: "warning", detail: "untested" });

    const out = await sendTestMail("admin@example.jp", "ja", actor, ctx);
    expect(out.transport).toBe("smtp");
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got).toMatchObject({ from: "mdm@example.jp", to: ["admin@example.jp"], user: "mamori", secure: true });
    expect(got.raw).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(got.raw).toContain("From: Mamori <mdm@example.jp>");
    const row = await prisma().mailMessage.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(row).toMatchObject({ status: "SENT", subject: "Mamori テストメール", to: ["admin@example.jp"] });
    // The row's id is the Message-ID the relay logged: both sides name the same mail.
    expect(row.providerId).toBe(`<${row.id}@example.jp>`);
    expect(got.raw).toContain(`Message-ID: <${row.id}@example.jp>`);
    const audit = await prisma().auditEvent.findFirstOrThrow({ where: { action: "mail.test" }, orderBy: { id: "desc" } });
    expect(audit).toMatchObject({ result: "SUCCESS", ip: "192.0.2.7", details: { via: `smtp:localhost:${port}`, transport: "smtp" } });
    expect(await mailTransport()).toEqual({ transport: "smtp", lastTestOk: true });
    expect((await setupChecklist()).find((i) => i.key === "mail")).toMatchObject({ state: "done", detail: "tested" });

    // Another relay: the old test no longer vouches for it.
    const other = await smtpServer();
    await saveSmtpConfig(config({ port: other.port, password: "" }), actor, ctx);
    expect(await mailTransport()).toEqual({ transport: "smtp", lastTestOk: false });

    // Every mail takes the same road, not only the test.
    const m = await sendMail({ to: ["hanako@example.jp"], subject: "招待", text: "こんにちは" });
    expect(m.status).toBe("SENT");
    expect(other.received.map((r) => r.to)).toEqual([["hanako@example.jp"]]);
  });

  it("TLS from the start (SMTPS)", async () => {
    const { port, received } = await smtpServer({ secure: true });
    await saveSmtpConfig(config({ port, security: "tls" }), actor, ctx);
    await sendTestMail("admin@example.jp", "en", actor, ctx);
    expect(received[0]).toMatchObject({ secure: true, user: "mamori" });
  });

  it("a refused login, a closed port, an untrusted certificate and a relay without STARTTLS each say what to fix", async () => {
    const fail = async (input: Partial<SmtpInput>) => {
      await saveSmtpConfig(config(input), actor, ctx);
      const before = await prisma().mailMessage.count();
      const err = await sendTestMail("admin@example.jp", "en", actor, ctx).then(() => null, (e: unknown) => e);
      // The attempt is kept in the log as failed, with the relay's answer.
      expect(await prisma().mailMessage.count()).toBe(before + 1);
      const row = await prisma().mailMessage.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
      expect(row.status, JSON.stringify(input)).toBe("FAILED");
      const audit = await prisma().auditEvent.findFirstOrThrow({ where: { action: "mail.test" }, orderBy: { id: "desc" } });
      expect(audit.result).toBe("FAILURE");
      return { err: err as { code: string; params: Record<string, unknown> }, row, audit };
    };
    const good = await smtpServer();

    const refused = await fail({ port: good.port, password: "wrong" });
    expect(refused.err).toMatchObject({ code: "mail.smtp.authRefused", params: { host: "localhost", port: good.port } });
    expect(String(refused.err.params.detail)).toContain("535");
    expect(refused.audit.details).toMatchObject({ reason: "authRefused" });
    expect(JSON.stringify(refused.audit.details)).not.toContain("wrong");

    const closed = await closedPort();
    // By address: the port is known closed on 127.0.0.1 (localhost may also mean ::1).
    expect((await fail({ host: "127.0.0.1", port: closed })).err).toMatchObject({ code: "mail.smtp.unreachable", params: { host: "127.0.0.1", port: closed } });

    const untrusted = await fail({ port: good.port, caPem: otherCa.certPem });
    expect(untrusted.err.code).toBe("mail.smtp.tls");

    const plain = await smtpServer({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    expect((await fail({ port: plain.port })).err.code).toBe("mail.smtp.tls");
    expect(plain.received).toHaveLength(0);

    const noLogin = await fail({ port: good.port, username: "", password: "", clearPassword: true });
    expect(noLogin.err.code).toBe("mail.smtp.authRequired");

    const picky = await smtpServer({
      onRcptTo(address, _s, cb) {
        return address.address.endsWith("@example.jp") ? cb() : cb(Object.assign(new Error("5.1.1 Relaying denied"), { responseCode: 550 }));
      },
    });
    await saveSmtpConfig(config({ port: picky.port }), actor, ctx);
    const m = await sendMail({ to: ["someone@elsewhere.test"], subject: "x", text: "y" });
    expect(m.status).toBe("FAILED");
    expect(m.error).toMatch(/^recipientsRefused: .*550/);
    expect(good.received).toHaveLength(0);
    expect(await mailTransport()).toEqual({ transport: "smtp", lastTestOk: false });
  });

  it("a relay inside the network without encryption or login", async () => {
    const { port, received } = await smtpServer({ authOptional: true, disabledCommands: ["STARTTLS"] });
    await saveSmtpConfig(config({ port, security: "none", username: "", password: "", clearPassword: true, caPem: "" }), actor, ctx);
    await sendTestMail("admin@example.jp", "en", actor, ctx);
    expect(received[0]).toMatchObject({ secure: false, user: undefined, to: ["admin@example.jp"] });
  });

  it("SMTP_URL wins over the settings; a malformed one fails every mail with a clear reason", async () => {
    const viaEnv = await smtpServer({ users: { env: "from-env" } });
    await saveSmtpConfig(config({ host: "127.0.0.1", port: await closedPort() }), actor, ctx);
    process.env.SMTP_URL = `smtp://env:from-env@localhost:${viaEnv.port}`;
    // SMTP_URL trusts the system store (NODE_EXTRA_CA_CERTS adds a company CA), not the CA saved
    // in Settings: the test CA's relay is refused, which also proves the URL was the one used.
    const m = await sendMail({ to: ["a@example.jp"], subject: "s", text: "t" });
    expect(m.status).toBe("FAILED");
    expect(m.error).toMatch(/^tls: /);
    expect(viaEnv.received).toHaveLength(0);

    const plain = await smtpServer({ users: { env: "from-env" }, disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
    process.env.SMTP_URL = `smtp://env:from-env@localhost:${plain.port}?starttls=off`;
    expect((await sendMail({ to: ["a@example.jp"], subject: "s", text: "t" })).status).toBe("SENT");
    expect(plain.received[0]).toMatchObject({ user: "env", to: ["a@example.jp"] });

    process.env.SMTP_URL = "http://nope";
    const broken = await sendMail({ to: ["a@example.jp"], subject: "s", text: "t" });
    expect(broken).toMatchObject({ status: "FAILED" });
    expect(broken.error).toMatch(/^config: SMTP_URL/);
    await expect(sendTestMail("admin@example.jp", "en", actor, ctx)).rejects.toMatchObject({ code: "mail.smtp.config" });
  });
});
