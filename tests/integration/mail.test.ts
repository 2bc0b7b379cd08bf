import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeResend, type FakeResend } from "../support/fake-resend";
import { prisma } from "@/lib/db/client";
import { listMail, sendMail } from "@/lib/mail";
import { saveSetting } from "@/lib/settings";

useOwnDatabase();

// A database of its own (the mail log is counted) and a real HTTP fake of Resend.
let fake: FakeResend;
const KEY = "re_test_0123456789";
const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: "vitest" };

beforeAll(async () => {
  fake = await startFakeResend({ apiKey: KEY });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  await prisma().mailMessage.deleteMany();
  await prisma().setting.deleteMany();
  fake.requests.length = 0;
});
afterEach(() => {
  delete process.env.RESEND_API_KEY;
  delete process.env.RESEND_BASE_URL;
});

function useResend(key = KEY, url = fake.url) {
  process.env.RESEND_API_KEY = key;
  process.env.RESEND_BASE_URL = url;
}

describe("without a Resend key (development outbox)", () => {
  it("stores the mail as OUTBOX from the default sender and sends nothing", async () => {
    const m = await sendMail({ to: ["taro@example.jp"], subject: "件名", text: "本文" });
    expect(m).toMatchObject({ status: "OUTBOX", from: "Mamori <mamori@localhost>", to: ["taro@example.jp"], subject: "件名", text: "本文", html: null, providerId: null, error: null });
    expect(await prisma().mailMessage.count()).toBe(1);
    expect(fake.requests).toHaveLength(0);
  });

  it("uses the configured sender", async () => {
    await saveSetting("mail", { from: "IT部門 <it@example.jp>" }, admin, ctx);
    const m = await sendMail({ to: ["a@example.jp"], subject: "s", text: "t" });
    expect(m.from).toBe("IT部門 <it@example.jp>");
  });

  it("lists newest first with a total, paged", async () => {
    for (const i of [1, 2, 3]) {
      await sendMail({ to: ["a@example.jp"], subject: `mail ${i}`, text: "t" });
      await new Promise((r) => setTimeout(r, 5));
    }
    const page1 = await listMail({ take: 2, skip: 0 });
    expect(page1.total).toBe(3);
    expect(page1.messages.map((m) => m.subject)).toEqual(["mail 3", "mail 2"]);
    const page2 = await listMail({ take: 2, skip: 2 });
    expect(page2.messages.map((m) => m.subject)).toEqual(["mail 1"]);
  });
});

describe("listing the outbox", () => {
  it("takes any page number from the URL: past the end is empty, not a 500 (found by tests/e2e/fuzz-routes)", async () => {
    for (const skip of [Infinity, 1e20, NaN, -5]) await expect(listMail({ take: 20, skip })).resolves.toMatchObject({ messages: expect.any(Array) });
  });
});

describe("with a Resend key", () => {
  it("sends exactly the mail through Resend's API and stores it as SENT with the provider id", async () => {
    useResend();
    await saveSetting("mail", { from: "Mamori 通知 <notify@example.jp>" }, admin, ctx);
    const m = await sendMail({ to: ["taro@example.jp", "hanako@example.co.jp"], subject: "証明書の期限", text: "本文です", html: "<p>本文です</p>" });
    expect(fake.requests).toHaveLength(1);
    const r = fake.requests[0]!;
    expect(r.status).toBe(200);
    expect(r.method).toBe("POST");
    expect(r.path).toBe("/emails");
    expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["user-agent"]).toMatch(/^resend-node:/);
    // The stored row's id is the idempotency key: a retried request cannot send twice.
    expect(r.headers["idempotency-key"]).toBe(m.id);
    expect(r.body).toEqual({
      from: "Mamori 通知 <notify@example.jp>",
      to: ["taro@example.jp", "hanako@example.co.jp"],
      subject: "証明書の期限",
      text: "本文です",
      html: "<p>本文です</p>",
    });
    expect(m).toMatchObject({ status: "SENT", providerId: r.response.id, error: null });
    expect(await prisma().mailMessage.findUniqueOrThrow({ where: { id: m.id } })).toMatchObject({ status: "SENT", providerId: r.response.id });
  });

  it("sends text-only mail without an html field", async () => {
    useResend();
    await saveSetting("mail", { from: "notify@example.jp" }, admin, ctx);
    await sendMail({ to: ["taro@example.jp"], subject: "s", text: "t" });
    expect(fake.requests[0]!.body).toEqual({ from: "notify@example.jp", to: ["taro@example.jp"], subject: "s", text: "t" });
  });

  it("stores a provider error as FAILED and does not throw", async () => {
    useResend();
    await saveSetting("mail", { from: "notify@example.jp" }, admin, ctx);
    fake.failNext();
    const m = await sendMail({ to: ["taro@example.jp"], subject: "s", text: "t" });
    expect(m.status).toBe("FAILED");
    expect(m.providerId).toBeNull();
    expect(m.error).toMatch(/500 internal_server_error/);
    // The next one goes through again.
    expect((await sendMail({ to: ["taro@example.jp"], subject: "s", text: "t" })).status).toBe("SENT");
  });

  it("stores Resend's refusals as FAILED: a wrong key, an address it will not take", async () => {
    useResend("re_wrong");
    await saveSetting("mail", { from: "notify@example.jp" }, admin, ctx);
    const wrongKey = await sendMail({ to: ["taro@example.jp"], subject: "s", text: "t" });
    expect(wrongKey).toMatchObject({ status: "FAILED", error: "403 invalid_api_key: API key is invalid" });
    useResend();
    // Valid for our settings (single-label domain), refused by the provider.
    await saveSetting("mail", { from: "Mamori <mamori@localhost>" }, admin, ctx);
    const badFrom = await sendMail({ to: ["taro@example.jp"], subject: "s", text: "t" });
    expect(badFrom.status).toBe("FAILED");
    expect(badFrom.error).toMatch(/^422 validation_error: Invalid `from` field/);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 422]);
    expect(await prisma().mailMessage.count({ where: { status: "FAILED" } })).toBe(2);
  });

  it("stores an unreachable provider as FAILED", async () => {
    const closed = await startFakeResend();
    const url = closed.url;
    await closed.close();
    useResend(KEY, url);
    const m = await sendMail({ to: ["taro@example.jp"], subject: "s", text: "t" });
    expect(m.status).toBe("FAILED");
    expect(m.error).toMatch(/Unable to fetch data/);
  });
});

describe("the Resend fake is as strict as Resend", () => {
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}`, "content-type": "application/json" }) =>
    fetch(`${fake.url}/emails`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
  const ok = { from: "Mamori <notify@example.jp>", to: "taro@example.jp", subject: "s", text: "t" };

  it("requires a bearer key", async () => {
    const r = await post(ok, { "content-type": "application/json" });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ statusCode: 401, name: "missing_api_key" });
    expect((await post(ok, { authorization: "Basic abc", "content-type": "application/json" })).status).toBe(401);
  });

  it("accepts a valid mail with a uuid", async () => {
    const r = await post(ok);
    expect(r.status).toBe(200);
    expect(r.json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it.each([
    [{ ...ok, from: undefined }, "missing_required_field"],
    [{ ...ok, to: undefined }, "missing_required_field"],
    [{ ...ok, subject: undefined }, "missing_required_field"],
    [{ ...ok, from: "not an address" }, "validation_error"],
    [{ ...ok, from: "Name <broken>" }, "validation_error"],
    [{ ...ok, to: [] }, "validation_error"],
    [{ ...ok, to: ["taro@example.jp", "nope"] }, "validation_error"],
    [{ ...ok, to: Array.from({ length: 51 }, (_, i) => `u${i}@example.jp`) }, "validation_error"],
    [{ ...ok, subject: "  " }, "validation_error"],
    [{ ...ok, text: undefined }, "validation_error"],
    ["{not json", "validation_error"],
  ])("refuses %j with 422 %s", async (body, name) => {
    const r = await post(body);
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ statusCode: 422, name });
    expect(typeof r.json.message).toBe("string");
  });
});
