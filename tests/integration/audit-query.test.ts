import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { auditEventBatches, auditFilterParams, auditWhere, findAuditEvents, invalidTimeBounds, latestAuditId, parseAuditFilter, type AuditFilter } from "@/lib/audit/query";

useOwnDatabase();

const TZ = "Asia/Tokyo";
const none: AuditFilter = { actor: "", action: "", targetType: "", target: "", result: "", from: "", to: "" };

// Times in UTC; the comments give Tokyo's wall clock.
const EVENTS = [
  { key: "login-ok", at: "2026-02-28T14:59:00Z", actorLabel: "Taro@Example.jp", action: "auth.login", result: "SUCCESS" }, // 2/28 23:59
  { key: "login-fail", at: "2026-02-28T15:00:00Z", actorLabel: "anonymous", action: "auth.login", result: "FAILURE" }, // 3/1 00:00
  { key: "settings", at: "2026-03-01T01:30:00Z", actorLabel: "taro@example.jp", action: "settings.update", result: "SUCCESS", targetType: "setting", targetId: "licenses", targetLabel: "licenses" }, // 3/1 10:30
  { key: "lock", at: "2026-03-01T14:59:59Z", actorLabel: "hanako@example.jp", action: "device.lock", result: "SUCCESS", targetType: "device", targetId: "0b7c3f5e-1111-4a4a-9c9c-000000000001", targetLabel: "営業部 iPhone" }, // 3/1 23:59:59
  { key: "denied", at: "2026-03-01T15:00:00Z", actorLabel: "hanako@example.jp", action: "audit.export", result: "DENIED" }, // 3/2 00:00
  { key: "enqueue", at: "2026-03-02T03:00:00Z", actorLabel: "system", action: "command.enqueue", result: "SUCCESS", targetType: "device", targetId: "0b7c3f5e-1111-4a4a-9c9c-000000000001", targetLabel: "営業部 iPhone" }, // 3/2 12:00
] as const;

async function keys(f: Partial<AuditFilter>): Promise<string[]> {
  const rows = await prisma().auditEvent.findMany({ where: auditWhere({ ...none, ...f }, TZ), orderBy: { id: "asc" } });
  return rows.map((r) => (r.details as { key: string }).key);
}

beforeAll(async () => {
  for (const { key, at, ...e } of EVENTS) await prisma().auditEvent.create({ data: { ...e, at: new Date(at), details: { key } } });
});

describe("audit filters", () => {
  it("without a filter, everything", async () => {
    expect(await keys({})).toEqual(EVENTS.map((e) => e.key));
  });

  it("by actor: part of the label, any case", async () => {
    expect(await keys({ actor: "TARO" })).toEqual(["login-ok", "settings"]);
    expect(await keys({ actor: "system" })).toEqual(["enqueue"]);
  });

  it("by action, exactly", async () => {
    expect(await keys({ action: "auth.login" })).toEqual(["login-ok", "login-fail"]);
    expect(await keys({ action: "auth" })).toEqual([]);
  });

  it("by target type and by part of the target's label or id", async () => {
    expect(await keys({ targetType: "device" })).toEqual(["lock", "enqueue"]);
    expect(await keys({ target: "営業部" })).toEqual(["lock", "enqueue"]);
    expect(await keys({ target: "0B7C3F5E" })).toEqual(["lock", "enqueue"]);
    expect(await keys({ targetType: "setting", target: "licen" })).toEqual(["settings"]);
    expect(await keys({ targetType: "setting", target: "iPhone" })).toEqual([]);
  });

  it("by result", async () => {
    expect(await keys({ result: "DENIED" })).toEqual(["denied"]);
    expect(await keys({ result: "FAILURE", action: "auth.login" })).toEqual(["login-fail"]);
  });

  it("by days in the admin's time zone: the whole of 1 March in Tokyo", async () => {
    expect(await keys({ from: "2026-03-01", to: "2026-03-01" })).toEqual(["login-fail", "settings", "lock"]);
    expect(await keys({ from: "2026-03-02" })).toEqual(["denied", "enqueue"]);
    expect(await keys({ to: "2026-02-28" })).toEqual(["login-ok"]);
  });

  it("by times: from inclusive, to including its minute", async () => {
    expect(await keys({ from: "2026-03-01T10:30", to: "2026-03-01T23:59" })).toEqual(["settings", "lock"]);
    expect(await keys({ from: "2026-03-01T10:31", to: "2026-03-02T00:00" })).toEqual(["lock", "denied"]);
  });

  it("reads the same wall time differently in another zone", async () => {
    const rows = await prisma().auditEvent.findMany({ where: auditWhere({ ...none, from: "2026-03-01", to: "2026-03-01" }, "UTC"), orderBy: { id: "asc" } });
    expect(rows.map((r) => (r.details as { key: string }).key)).toEqual(["settings", "lock", "denied"]);
  });

  it("combines every filter", async () => {
    expect(await keys({ actor: "hanako", targetType: "device", result: "SUCCESS", from: "2026-03-01", to: "2026-03-02" })).toEqual(["lock"]);
  });

  it("ignores an unreadable bound and says which", async () => {
    const f = { ...none, from: "2026-02-30", to: "2026-03-01" };
    expect(invalidTimeBounds(f, TZ)).toEqual(["from"]);
    expect(await keys(f)).toEqual(["login-ok", "login-fail", "settings", "lock"]);
  });
});

describe("reading the filter from a query string", () => {
  it("keeps the known keys, trims and cuts them, and drops an unknown result", () => {
    const f = parseAuditFilter({ actor: ["  taro ", "x"], action: "auth.login", result: "MAYBE", from: "2026-03-01T09:00:00.000Z-extra", page: "3", target: "x".repeat(500) });
    expect(f).toMatchObject({ actor: "taro", action: "auth.login", result: "", from: "2026-03-01T09:00:00" });
    expect(f.target).toHaveLength(200);
    expect(auditFilterParams(parseAuditFilter(new URLSearchParams("result=DENIED&actor=&to=2026-03-01")))).toEqual({ result: "DENIED", to: "2026-03-01" });
  });
});

describe("paging and export batches", () => {
  it("pages newest first with the total", async () => {
    const { events, total } = await findAuditEvents({}, 2, 4);
    expect(total).toBe(6);
    expect(events.map((e) => (e.details as { key: string }).key)).toEqual(["login-fail", "login-ok"]);
  });

  it("streams the filtered set newest first in batches, stopping at the given id", async () => {
    const max = await latestAuditId();
    await prisma().auditEvent.create({ data: { actorLabel: "later", action: "auth.login", result: "SUCCESS", details: { key: "later" } } });
    const seen: string[][] = [];
    for await (const batch of auditEventBatches({}, max, 4)) seen.push(batch.map((e) => (e.details as { key: string }).key));
    expect(seen).toEqual([["enqueue", "denied", "lock", "settings"], ["login-fail", "login-ok"]]);
    const filtered: string[] = [];
    for await (const batch of auditEventBatches(auditWhere({ ...none, action: "auth.login" }, TZ), max, 1)) filtered.push(...batch.map((e) => (e.details as { key: string }).key));
    expect(filtered).toEqual(["login-fail", "login-ok"]);
  });
});

describe("writing an event", () => {
  it("stores a refusal whose target or details hold a NUL (a path with %00), without the NUL (found by tests/fuzz)", async () => {
    const { audit } = await import("@/lib/audit");
    await audit({
      actor: { id: null, label: "nul\u0000actor" },
      action: "fuzz.nul",
      result: "DENIED",
      target: { type: "userCertificate", id: "..\u0000", label: "a\u0000b" },
      userAgent: "ua\u0000",
      details: { reason: "notFound", path: "/x/\u0000", nested: [{ "k\u0000": "v\u0000" }], at: 1 },
    });
    const e = await prisma().auditEvent.findFirstOrThrow({ where: { action: "fuzz.nul" } });
    expect(e).toMatchObject({ actorLabel: "nulactor", targetId: "..", targetLabel: "ab", userAgent: "ua" });
    expect(e.details).toEqual({ reason: "notFound", path: "/x/", nested: [{ k: "v" }], at: 1 });
  });
});
