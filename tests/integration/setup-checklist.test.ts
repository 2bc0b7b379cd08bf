import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { freePort, listenOnLoopback } from "../support/listen";
import { prisma } from "@/lib/db/client";
import { checklistComplete, checkPublicUrl, deliverableBase, publicUrlProblem, setupChecklist, type ChecklistItem } from "@/lib/setup-checklist";

// The setup checklist reads the real state; links that no phone could follow are refused.

useOwnDatabase();
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: null };
const stateOf = (items: ChecklistItem[]) => Object.fromEntries(items.map((i) => [i.key, `${i.state}:${i.detail}`]));

let health: http.Server;
let healthUrl = "";
let answer = { status: 200, body: JSON.stringify({ status: "ok", database: { reachable: true } }) };

beforeAll(async () => {
  health = http.createServer((req, res) => {
    if (req.url !== "/api/health") return void res.writeHead(404).end();
    res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
  });
  healthUrl = `http://127.0.0.1:${await listenOnLoopback(health)}`;
});
afterAll(() => new Promise<void>((r) => health.close(() => r())));
afterEach(() => {
  delete process.env.MAMORI_ALLOW_HTTP_MDM;
  delete process.env.MAMORI_PUBLIC_URL;
});

describe("the checklist", () => {
  it("a fresh install: every required item to do, the optional ones optional", async () => {
    const items = await setupChecklist();
    expect(stateOf(items)).toEqual({
      publicUrl: "todo:notSet", pushCertificate: "todo:missing", mail: "todo:outbox", users: "todo:none", firstDevice: "todo:none", ade: "optional:notSet", android: "optional:notSet",
    });
    expect(checklistComplete(items)).toBe(false);
    expect(items.find((i) => i.key === "pushCertificate")!.href).toBe("/admin/certificates/push");
  });

  it("turns green item by item from the real state", async () => {
    process.env.MAMORI_PUBLIC_URL = "https://mdm.example.jp";
    const now = new Date();
    await prisma().pushCertificate.create({ data: { status: "ACTIVE", topic: "t", subject: "s", issuer: "i", serial: "1", notBefore: now, notAfter: new Date(now.getTime() + 30 * 86_400_000), fingerprint: "c1", certPem: "p", appleId: "a", uploadedByLabel: "t" } });
    const user = await prisma().user.create({ data: { email: "hanako@example.jp", displayName: "Hanako", role: "END_USER" } });
    let s = stateOf(await setupChecklist(now));
    expect(s.publicUrl).toBe("done:ok");
    expect(s.pushCertificate).toBe("warning:expiring");
    expect(s.users).toBe("done:ok");
    await prisma().pushCertificate.updateMany({ data: { notAfter: new Date(now.getTime() + 300 * 86_400_000) } });
    await prisma().device.create({ data: { udid: "CHECK-1", platform: "IOS", status: "ACTIVE", ownerId: user.id } });
    process.env.RESEND_API_KEY = "re_test";
    try {
      s = stateOf(await setupChecklist(now));
      expect(s).toMatchObject({ pushCertificate: "done:ok", firstDevice: "done:ok", mail: "warning:untested" });
      // A test through another transport does not vouch for this one.
      await prisma().auditEvent.create({ data: { actorLabel: "admin", action: "mail.test", result: "SUCCESS", details: { via: "smtp:relay.example.jp:587" } } });
      expect(stateOf(await setupChecklist(now)).mail).toBe("warning:untested");
      await prisma().auditEvent.create({ data: { actorLabel: "admin", action: "mail.test", result: "SUCCESS", details: { via: "resend" } } });
      const items = await setupChecklist(now);
      expect(stateOf(items).mail).toBe("done:tested");
      expect(checklistComplete(items)).toBe(true);
    } finally {
      delete process.env.RESEND_API_KEY;
    }
  });

  it("an http address is a trial warning only with MAMORI_ALLOW_HTTP_MDM", async () => {
    process.env.MAMORI_PUBLIC_URL = "http://192.0.2.10:3000";
    expect(stateOf(await setupChecklist()).publicUrl).toBe("todo:notHttps");
    process.env.MAMORI_ALLOW_HTTP_MDM = "1";
    expect(stateOf(await setupChecklist()).publicUrl).toBe("warning:trial");
  });
});

describe("public address", () => {
  it.each([
    [null, "notSet"], ["http://mdm.example.jp", "notHttps"], ["https://localhost:3000", "loopback"], ["https://127.0.0.1", "loopback"],
    ["https://[::1]:8443", "loopback"], ["not a url", "invalid"], ["https://mdm.example.jp", null],
  ])("%s → %s", (url, problem) => expect(publicUrlProblem(url)).toBe(problem));

  it("the live check: Mamori's health answer is reachable; anything else says why", async () => {
    expect(await checkPublicUrl(healthUrl)).toEqual({ ok: true, detail: "ok" });
    answer = { status: 503, body: JSON.stringify({ status: "unavailable", database: { reachable: false } }) };
    expect(await checkPublicUrl(healthUrl)).toEqual({ ok: false, detail: "HTTP 503" });
    answer = { status: 200, body: "<html>a parked domain</html>" };
    expect((await checkPublicUrl(healthUrl)).ok).toBe(false);
    expect(await checkPublicUrl(`http://127.0.0.1:${await freePort()}`)).toEqual({ ok: false, detail: "ECONNREFUSED" });
    expect(await checkPublicUrl(null)).toEqual({ ok: false, detail: "notSet" });
  });

  it("links no phone could follow are refused and audited; a trial lets them through", async () => {
    await expect(deliverableBase("http://127.0.0.1:3701", "invitation.send", actor, ctx)).rejects.toMatchObject({ code: "links.loopback", params: { url: "http://127.0.0.1:3701" } });
    await expect(deliverableBase("http://mdm.example.jp", "enrollment.qr_create", actor, ctx)).rejects.toMatchObject({ code: "links.notHttps" });
    const denied = await prisma().auditEvent.findMany({ where: { result: "DENIED", details: { path: ["reason"], equals: "publicUrl" } }, orderBy: { id: "asc" } });
    expect(denied.map((d) => [d.action, (d.details as { problem: string }).problem])).toEqual([["invitation.send", "loopback"], ["enrollment.qr_create", "notHttps"]]);
    expect(await deliverableBase("https://mdm.example.jp", "invitation.send", actor, ctx)).toBe("https://mdm.example.jp");
    process.env.MAMORI_ALLOW_HTTP_MDM = "1";
    expect(await deliverableBase("http://127.0.0.1:3701", "invitation.send", actor, ctx)).toBe("http://127.0.0.1:3701");
  });
});
