import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { DEFAULTS, getSetting, saveSetting } from "@/lib/settings";
import { UserError } from "@/lib/errors";

useOwnDatabase();

// A database of its own: settings start unset and audit events are counted.
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.7", userAgent: "vitest" };

beforeEach(async () => {
  await prisma().setting.deleteMany();
  await prisma().auditEvent.deleteMany();
});

async function refused(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => null, (e: unknown) => e);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

describe("reading", () => {
  it("returns the defaults when unset", async () => {
    expect(await getSetting("notifications")).toEqual({ recipients: [], thresholds: [60, 30, 14, 7, 1] });
    expect(await getSetting("mail")).toEqual({ from: "Mamori <mamori@localhost>" });
  });

  it("hands out copies: changing the result does not change the defaults", async () => {
    (await getSetting("notifications")).thresholds.push(99);
    expect(DEFAULTS.notifications.thresholds).toEqual([60, 30, 14, 7, 1]);
  });

  it("falls back to the defaults when the stored value is no longer valid", async () => {
    await prisma().setting.create({ data: { key: "notifications", value: { recipients: "nope", thresholds: [0] } } });
    expect(await getSetting("notifications")).toEqual(DEFAULTS.notifications);
  });
});

describe("saving notifications", () => {
  it("normalizes, stores and audits", async () => {
    const saved = await saveSetting("notifications", { recipients: [" IT-Team@Example.JP ", "cio@example.jp"], thresholds: [7, 90, 30] }, actor, ctx);
    expect(saved).toEqual({ recipients: ["it-team@example.jp", "cio@example.jp"], thresholds: [90, 30, 7] });
    expect(await getSetting("notifications")).toEqual(saved);
    const events = await prisma().auditEvent.findMany({ where: { action: "settings.update" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorLabel: "admin@example.jp",
      result: "SUCCESS",
      targetType: "setting",
      targetId: "notifications",
      ip: "192.0.2.7",
      userAgent: "vitest",
      details: { name: "notifications", value: saved },
    });
  });

  it("allows no recipients (then the administrators get the mails) and no advance notices", async () => {
    expect(await saveSetting("notifications", { recipients: [], thresholds: [] }, actor, ctx)).toEqual({ recipients: [], thresholds: [] });
  });

  it("overwrites the previous value", async () => {
    await saveSetting("notifications", { recipients: ["a@example.jp"], thresholds: [10] }, actor, ctx);
    await saveSetting("notifications", { recipients: ["b@example.jp"], thresholds: [20, 5] }, actor, ctx);
    expect(await getSetting("notifications")).toEqual({ recipients: ["b@example.jp"], thresholds: [20, 5] });
    expect(await prisma().auditEvent.count({ where: { action: "settings.update" } })).toBe(2);
  });

  const valid = { recipients: ["a@example.jp"], thresholds: [30, 7] };
  it.each([
    ["a bad address", { ...valid, recipients: ["a@example.jp", "not-an-address"] }, "settings.recipientInvalid", { field: "recipients", address: "not-an-address" }],
    ["an address without a domain", { ...valid, recipients: ["taro@"] }, "settings.recipientInvalid", { address: "taro@" }],
    ["a duplicate address (any case)", { ...valid, recipients: ["a@example.jp", "A@example.jp "] }, "settings.recipientDuplicate", { field: "recipients", value: "a@example.jp" }],
    ["21 recipients", { ...valid, recipients: Array.from({ length: 21 }, (_, i) => `u${i}@example.jp`) }, "settings.tooManyRecipients", { field: "recipients", max: 20 }],
    ["recipients that are not a list", { ...valid, recipients: "a@example.jp" }, "settings.invalid", { field: "recipients" }],
    ["a recipient that is not text", { ...valid, recipients: [42] }, "settings.invalid", { field: "recipients" }],
    ["0 days", { ...valid, thresholds: [30, 0] }, "settings.thresholdInvalid", { field: "thresholds", value: "0", max: 365 }],
    ["366 days", { ...valid, thresholds: [366] }, "settings.thresholdInvalid", { value: "366", max: 365 }],
    ["a fraction", { ...valid, thresholds: [1.5] }, "settings.thresholdInvalid", { value: "1.5" }],
    ["a negative number", { ...valid, thresholds: [-7] }, "settings.thresholdInvalid", { value: "-7" }],
    ["a number as text", { ...valid, thresholds: ["7"] }, "settings.thresholdInvalid", { value: "7" }],
    ["a duplicate threshold", { ...valid, thresholds: [30, 7, 30] }, "settings.thresholdDuplicate", { field: "thresholds", value: "30" }],
    ["11 thresholds", { ...valid, thresholds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, "settings.tooManyThresholds", { field: "thresholds", max: 10 }],
    ["no thresholds field", { recipients: [] }, "settings.invalid", { field: "thresholds" }],
    ["not an object", "everyone", "settings.invalid", { field: "notifications" }],
  ])("refuses %s, stores and audits nothing", async (_what, value, code, params) => {
    const e = await refused(saveSetting("notifications", value as never, actor, ctx));
    expect(e.code).toBe(code);
    expect(e.params).toMatchObject(params);
    expect(await prisma().setting.count()).toBe(0);
    expect(await prisma().auditEvent.count()).toBe(0);
  });
});

describe("saving the mail sender", () => {
  it.each(["notify@example.jp", "Mamori <notify@example.jp>", "情報システム部 <it@example.co.jp>", "Mamori <mamori@localhost>"])("accepts %s", async (from) => {
    expect(await saveSetting("mail", { from: ` ${from} ` }, actor, ctx)).toEqual({ from });
    expect(await getSetting("mail")).toEqual({ from });
    const ev = await prisma().auditEvent.findFirstOrThrow({ where: { action: "settings.update" } });
    expect(ev.details).toEqual({ name: "mail", value: { from } });
  });

  it.each(["", "Mamori", "Mamori <>", "Mamori <notify>", "a@b@c", "Mamori <a@example.jp", "Evil\r\nBcc: x@example.jp <a@example.jp>", "two@example.jp, three@example.jp"])(
    "refuses %j",
    async (from) => {
      const e = await refused(saveSetting("mail", { from }, actor, ctx));
      expect(e.code).toBe("settings.fromInvalid");
      expect(e.params).toMatchObject({ field: "from", value: from });
      expect(await prisma().setting.count()).toBe(0);
    },
  );

  it("refuses a sender that is not text", async () => {
    const e = await refused(saveSetting("mail", { from: 7 } as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.invalid", params: { field: "from" } });
  });

  it("refuses an unknown setting", async () => {
    const e = await refused(saveSetting("colors" as never, {} as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.invalid", params: { field: "colors" } });
  });
});
