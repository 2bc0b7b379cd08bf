import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { completeSetup, needsSetup } from "@/lib/setup";
import { attemptLogin, findLoginUser, ACCOUNT_LIMIT } from "@/lib/auth/login";
import { hit } from "@/lib/rate-limit";
import { UserError } from "@/lib/errors";

useOwnDatabase();

// A database of its own: first-run setup must start from an empty one.
const ctx = { ip: "192.0.2.10", userAgent: "vitest" };


const admin = (email: string) => ({ name: "Taro Yamada", email, password: "correct horse battery", confirm: "correct horse battery" });

describe("first-run setup", () => {
  it("refuses weak or mismatched passwords and changes nothing", async () => {
    await expect(completeSetup({ ...admin("a@example.jp"), password: "short", confirm: "short" }, ctx)).rejects.toMatchObject({ code: "password.tooShort" });
    await expect(completeSetup({ ...admin("a@example.jp"), confirm: "something else" }, ctx)).rejects.toMatchObject({ code: "password.mismatch" });
    expect(await prisma().user.count()).toBe(0);
    expect(await needsSetup()).toBe(true);
  });

  it("creates exactly one admin when raced, refuses the rest, and is gone for good", async () => {
    const results = await Promise.allSettled(
      ["one", "two", "three", "four"].map((n) => completeSetup(admin(`${n}@example.jp`), ctx)),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "setup.alreadyDone" });
    expect(await prisma().user.count({ where: { role: "ADMIN" } })).toBe(1);
    expect(await needsSetup()).toBe(false);
    const events = await prisma().auditEvent.findMany({ where: { action: "setup.complete" } });
    expect(events.filter((e) => e.result === "SUCCESS")).toHaveLength(1);
    expect(events.filter((e) => e.result === "DENIED")).toHaveLength(3);
    // Even with every admin gone, setup does not come back.
    await prisma().user.deleteMany();
    expect(await needsSetup()).toBe(false);
  });
});

describe("sign-in", () => {
  beforeAll(async () => {
    await prisma().user.create({
      data: { email: "hanako@example.jp", displayName: "Hanako", role: "END_USER", passwordHash: await (await import("@/lib/auth/password")).hashPassword("blue-sky-umbrella-42") },
    });
  });

  it("accepts the right password (any case of email) and audits it", async () => {
    const u = await attemptLogin({ email: " Hanako@Example.JP ", password: "blue-sky-umbrella-42", ...ctx });
    expect(u.role).toBe("END_USER");
    const last = await prisma().auditEvent.findFirstOrThrow({ where: { action: "auth.login" }, orderBy: { id: "desc" } });
    expect(last).toMatchObject({ result: "SUCCESS", actorId: u.id, ip: "192.0.2.10" });
  });

  it("a username typed in another case signs in, and /go finds the same account by it", async () => {
    // Usernames are stored normalized (lower case); /go used to look them up as typed: a 500.
    const dir = await prisma().user.create({
      data: { email: "h.sato@example.jp", username: "h.sato", displayName: "H Sato", role: "END_USER", passwordHash: await (await import("@/lib/auth/password")).hashPassword("green-field-kite-77") },
    });
    const u = await attemptLogin({ email: " H.Sato ", password: "green-field-kite-77", ...ctx });
    expect(u.id).toBe(dir.id);
    expect((await findLoginUser(" H.Sato "))?.id).toBe(dir.id);
    expect((await findLoginUser("H.SATO@EXAMPLE.JP"))?.id).toBe(dir.id);
    expect(await findLoginUser("someone-else")).toBeNull();
  });

  it("answers an unknown account exactly like a wrong password", async () => {
    const a = await attemptLogin({ email: "nobody@example.jp", password: "x", ...ctx }).catch((e) => e);
    const b = await attemptLogin({ email: "hanako@example.jp", password: "x", ...ctx }).catch((e) => e);
    expect(a).toBeInstanceOf(UserError);
    expect(a.code).toBe("login.invalid");
    expect(b.code).toBe("login.invalid");
  });

  it("locks an account after 5 tries even when they arrive at once, and the right password waits too", async () => {
    const email = "locked@example.jp";
    await prisma().user.create({ data: { email, displayName: "L", role: "END_USER", passwordHash: await (await import("@/lib/auth/password")).hashPassword("right-password-123") } });
    const tries = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => attemptLogin({ email, password: `wrong${i}`, ip: `198.51.100.${i}`, userAgent: null })));
    const codes = tries.map((t) => (t as PromiseRejectedResult).reason.code);
    expect(codes.filter((c) => c === "login.invalid")).toHaveLength(ACCOUNT_LIMIT.limit);
    expect(codes.filter((c) => c === "login.rateLimited")).toHaveLength(12 - ACCOUNT_LIMIT.limit);
    await expect(attemptLogin({ email, password: "right-password-123", ...ctx })).rejects.toMatchObject({ code: "login.rateLimited", params: { minutes: 15 } });
    const denied = await prisma().auditEvent.count({ where: { action: "auth.login", result: "DENIED", targetLabel: email } });
    expect(denied).toBe(12 - ACCOUNT_LIMIT.limit + 1);
  });

  it("limits one address across accounts, but a success gives its try back", async () => {
    const ip = "203.0.113.7";
    await attemptLogin({ email: "hanako@example.jp", password: "blue-sky-umbrella-42", ip, userAgent: null });
    for (let i = 0; i < 30; i++) await attemptLogin({ email: `guess${i}@example.jp`, password: "x", ip, userAgent: null }).catch(() => {});
    await expect(attemptLogin({ email: "hanako@example.jp", password: "blue-sky-umbrella-42", ip, userAgent: null })).rejects.toMatchObject({ code: "login.rateLimited" });
  });

  it("opens a new window once the old one has passed", async () => {
    const rule = { limit: 2, windowSeconds: 60 };
    const t0 = new Date("2026-01-01T00:00:00Z");
    expect((await hit("k", rule, t0)).allowed).toBe(true);
    expect((await hit("k", rule, t0)).allowed).toBe(true);
    const third = await hit("k", rule, new Date(t0.getTime() + 30_000));
    expect(third).toMatchObject({ allowed: false, retryAfterSeconds: 30 });
    expect(await hit("k", rule, new Date(t0.getTime() + 61_000))).toMatchObject({ allowed: true, count: 1 });
  });
});
