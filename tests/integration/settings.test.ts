import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { DEFAULTS, getSetting, resolvePublicUrl, saveSetting } from "@/lib/settings";
import { UserError } from "@/lib/errors";
import { translator } from "@/lib/i18n";

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

describe("saving the collection interval", () => {
  it("defaults to on, once a day", async () => {
    expect(await getSetting("collection")).toEqual({ enabled: true, intervalHours: 24 });
  });

  it.each([1, 6, 24, 168])("accepts %i hours", async (intervalHours) => {
    expect(await saveSetting("collection", { enabled: false, intervalHours }, actor, ctx)).toEqual({ enabled: false, intervalHours });
    expect(await getSetting("collection")).toEqual({ enabled: false, intervalHours });
  });

  it.each([[0], [169], [1.5], [-3], ["24"]])("refuses %j hours, quoting it", async (intervalHours) => {
    const e = await refused(saveSetting("collection", { enabled: true, intervalHours } as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.collectionIntervalInvalid", params: { field: "intervalHours", value: String(intervalHours), min: 1, max: 168 } });
    expect(await prisma().setting.count()).toBe(0);
  });

  it("refuses an on/off that is not a boolean", async () => {
    const e = await refused(saveSetting("collection", { enabled: "yes", intervalHours: 24 } as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.invalid", params: { field: "enabled" } });
  });
});

describe("saving the device licenses", () => {
  it("defaults to no limit, and stores a number or no limit", async () => {
    expect(await getSetting("licenses")).toEqual({ devices: null });
    expect(await saveSetting("licenses", { devices: 200 }, actor, ctx)).toEqual({ devices: 200 });
    expect(await getSetting("licenses")).toEqual({ devices: 200 });
    expect(await saveSetting("licenses", { devices: null }, actor, ctx)).toEqual({ devices: null });
    expect(await getSetting("licenses")).toEqual({ devices: null });
  });

  it.each([[0], [-1], [2.5], [1_000_001], ["abc"]])("refuses %j", async (devices) => {
    const e = await refused(saveSetting("licenses", { devices } as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.licenseCountInvalid", params: { field: "devices", value: String(devices), max: 1_000_000 } });
  });
});

describe("saving the public URL", () => {
  it.each([
    ["https://mdm.example.jp", "https://mdm.example.jp"],
    [" https://MDM.Example.JP/ ", "https://mdm.example.jp"],
    ["https://mdm.example.jp:8443", "https://mdm.example.jp:8443"],
    ["https://mdm.example.jp:443/", "https://mdm.example.jp"],
    ["http://localhost:3000", "http://localhost:3000"],
    ["http://127.0.0.1:3000/", "http://127.0.0.1:3000"],
    ["", null],
    [null, null],
  ])("stores %j as %j", async (publicUrl, stored) => {
    expect(await saveSetting("general", { publicUrl }, actor, ctx)).toEqual({ publicUrl: stored });
    expect(await getSetting("general")).toEqual({ publicUrl: stored });
  });

  it.each([
    ["http://mdm.example.jp", "settings.publicUrlNotHttps"],
    ["http://192.0.2.10", "settings.publicUrlNotHttps"],
    ["mdm.example.jp", "settings.publicUrlInvalid"],
    ["https://", "settings.publicUrlInvalid"],
    ["https://mdm.example.jp/mamori", "settings.publicUrlInvalid"],
    ["https://mdm.example.jp/?a=1", "settings.publicUrlInvalid"],
    ["https://mdm.example.jp/#top", "settings.publicUrlInvalid"],
    ["https://user:pass@mdm.example.jp", "settings.publicUrlInvalid"],
    ["ftp://mdm.example.jp", "settings.publicUrlInvalid"],
    ["javascript:alert(1)", "settings.publicUrlInvalid"],
  ])("refuses %j", async (publicUrl, code) => {
    const e = await refused(saveSetting("general", { publicUrl }, actor, ctx));
    expect(e).toMatchObject({ code, params: { field: "publicUrl", value: publicUrl } });
    expect(await prisma().setting.count()).toBe(0);
  });

  it("is used when MAMORI_PUBLIC_URL is unset; the environment wins; else the Host header", async () => {
    const saved = process.env.MAMORI_PUBLIC_URL;
    try {
      delete process.env.MAMORI_PUBLIC_URL;
      expect(await resolvePublicUrl("portal.internal:3000")).toBe("http://portal.internal:3000");
      await saveSetting("general", { publicUrl: "https://mdm.example.jp" }, actor, ctx);
      expect(await resolvePublicUrl("portal.internal:3000")).toBe("https://mdm.example.jp");
      process.env.MAMORI_PUBLIC_URL = "https://env.example.jp/";
      expect(await resolvePublicUrl("portal.internal:3000")).toBe("https://env.example.jp");
    } finally {
      if (saved === undefined) delete process.env.MAMORI_PUBLIC_URL;
      else process.env.MAMORI_PUBLIC_URL = saved;
    }
  });
});

describe("saving retention", () => {
  const keep = { commandDays: 30, auditDays: 400, ticketDays: 7, rateLimitDays: 2, mailDays: 60 };

  it("defaults to 90 days of commands and mails, a year of audit", async () => {
    expect(await getSetting("retention")).toEqual({ commandDays: 90, auditDays: 365, ticketDays: 30, rateLimitDays: 1, mailDays: 90 });
  });

  it("stores, reads back and audits", async () => {
    expect(await saveSetting("retention", keep, actor, ctx)).toEqual(keep);
    expect(await getSetting("retention")).toEqual(keep);
    expect(await prisma().auditEvent.count({ where: { action: "settings.update", targetId: "retention" } })).toBe(1);
  });

  it.each([
    ["auditDays", 29, 30, 3650],
    ["auditDays", 3651, 30, 3650],
    ["commandDays", 6, 7, 3650],
    ["ticketDays", 0, 1, 365],
    ["rateLimitDays", 31, 1, 30],
    ["mailDays", 1.5, 7, 3650],
    ["mailDays", "90", 7, 3650],
  ] as const)("refuses %s = %j with its bounds, in Japanese and English", async (field, value, min, max) => {
    const e = await refused(saveSetting("retention", { ...keep, [field]: value } as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.retentionDaysInvalid", params: { field, value: String(value), min, max } });
    expect(translator("en")(`errors.${e.code}`, e.params)).toBe(`"${value}" is not a valid number of days. Enter a whole number from ${min} to ${max}.`);
    expect(translator("ja")(`errors.${e.code}`, e.params)).toBe(`「${value}」は日数として正しくありません。${min} から ${max} までの整数を入力してください。`);
    expect(await prisma().setting.count()).toBe(0);
    expect(await prisma().auditEvent.count()).toBe(0);
  });

  it("refuses a missing field", async () => {
    const { mailDays: _, ...rest } = keep;
    const e = await refused(saveSetting("retention", rest as never, actor, ctx));
    expect(e).toMatchObject({ code: "settings.retentionDaysInvalid", params: { field: "mailDays" } });
  });
});
