import { beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { cancelCommand, commandBody } from "@/lib/mdm/queue";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import { connect, sweepCommands, MAX_SEND_ATTEMPTS, type AnswerStatus } from "@/lib/mdm/storage";

useOwnDatabase();

// The queue through the device path's storage: enqueue, then what a device's connect requests do.

let deviceId: string;
let udid: string;
const FP = "f".repeat(64);
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const cmd = (requestType: string, extra: Record<string, unknown> = {}) => ({ requestType, command: { RequestType: requestType, ...extra } });
const enqueue = (requestType: string, extra: Record<string, unknown> = {}, hours?: number) =>
  enqueueCommand(deviceId, cmd(requestType, extra), { actor, push: false, expiresInHours: hours });
const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);

/** An Idle: starts a connection; returns the command handed out. */
const idle = async (now = new Date()) => (await connect({ udid, fingerprint: FP, now, idle: true })).next;
/** An answer for `id`; returns the next command handed out. */
const answer = async (id: string, status: AnswerStatus, now = new Date(), result?: unknown, readAs?: string) =>
  (await connect({ udid, fingerprint: FP, now, idle: false, answer: { commandUuid: id, status, result, readAs } })).next;
const statusOf = async (id: string) => (await prisma().command.findUniqueOrThrow({ where: { id } })).status;

beforeEach(async () => {
  await prisma().device.deleteMany();
  udid = `U-${Math.random()}`;
  deviceId = (await prisma().device.create({ data: { udid, identityFingerprint: FP, platform: "IOS", status: "ACTIVE" } })).id;
});

describe("command queue", () => {
  it("hands out commands in order and records answers once", async () => {
    const [a, b] = [await enqueue("DeviceInformation"), await enqueue("SecurityInfo")];
    const first = await idle();
    expect(first).toMatchObject({ id: a.id, requestType: "DeviceInformation" });
    expect(await prisma().command.findUniqueOrThrow({ where: { id: a.id } })).toMatchObject({ status: "SENT", attempts: 1 });
    expect((await answer(a.id.toLowerCase(), "ACKNOWLEDGED", new Date(), { name: "iPhone" }, "DeviceInformation"))?.id).toBe(b.id);
    // A repeated answer for a finished command changes nothing.
    const again = await connect({ udid, fingerprint: FP, now: new Date(), idle: false, answer: { commandUuid: a.id, status: "ERROR", errorChain: [] } });
    expect(again.recorded).toBe(false);
    expect(await prisma().command.findUniqueOrThrow({ where: { id: a.id } })).toMatchObject({ status: "ACKNOWLEDGED", result: { name: "iPhone" } });
    expect(await answer(b.id, "ACKNOWLEDGED")).toBeNull();
  });

  it("keeps a NotNow command but does not resend it until the device's next Idle", async () => {
    const [a, b, c] = [await enqueue("InstalledApplicationList"), await enqueue("ProfileList"), await enqueue("CertificateList")];
    expect((await idle())?.id).toBe(a.id);
    expect((await answer(a.id, "NOT_NOW"))?.id).toBe(b.id);
    // Another answer than NotNow in between does not bring it back within the connection.
    expect((await answer(b.id, "ACKNOWLEDGED"))?.id).toBe(c.id);
    expect(await answer(c.id, "ACKNOWLEDGED")).toBeNull();
    expect(await statusOf(a.id)).toBe("NOT_NOW");
    // The next connection (after a push) gets it again.
    expect((await idle())?.id).toBe(a.id);
  });

  it("an unanswered or errored command never blocks the ones behind it, and is given up by the sweep", async () => {
    const [stuck, behind] = [await enqueue("RestartDevice"), await enqueue("DeviceLocation")];
    expect((await idle(at(0)))?.id).toBe(stuck.id);
    // Right after sending, the device's next poll gets what is behind it, not the same again.
    expect((await idle(at(0)))?.id).toBe(behind.id);
    await answer(behind.id, "NOT_NOW", at(0));
    for (let i = 2; i <= MAX_SEND_ATTEMPTS; i++) expect((await idle(at(3 * i)))?.id).toBe(stuck.id);
    // Out of attempts: no longer handed out; the NotNow one comes back instead.
    expect((await idle(at(30)))?.id).toBe(behind.id);
    expect(await sweepCommands(at(31))).toMatchObject({ gaveUp: 1 });
    const s = await prisma().command.findUniqueOrThrow({ where: { id: stuck.id } });
    expect(s.status).toBe("ERROR");
    expect(s.errorChain).toEqual([{ code: null, domain: "Mamori", description: "The device did not answer" }]);
    await answer(behind.id, "ERROR", at(31));
    expect(await idle(at(60))).toBeNull();
  });

  it("never hands out an expired command; the sweep marks it; only queued ones can be cancelled", async () => {
    const old = await enqueue("DeviceInformation", {}, -1);
    const queued = await enqueue("SecurityInfo");
    const sent = await enqueue("ProfileList");
    await cancelCommand(queued.id, actor, ctx);
    expect((await idle())?.id).toBe(sent.id);
    await expect(cancelCommand(sent.id, actor, ctx)).rejects.toMatchObject({ code: "command.notCancellable" });
    expect(await sweepCommands()).toMatchObject({ expired: 1 });
    const statuses = await prisma().command.findMany({ where: { deviceId }, orderBy: { seq: "asc" }, select: { id: true, status: true } });
    expect(statuses).toEqual([{ id: old.id, status: "EXPIRED" }, { id: queued.id, status: "CANCELLED" }, { id: sent.id, status: "SENT" }]);
    expect(await prisma().auditEvent.count({ where: { action: "command.cancel" } })).toBe(1);
  });

  it("records a result only as the command's own type, and marks an acknowledgement missing its result", async () => {
    const [info, sec] = [await enqueue("DeviceInformation"), await enqueue("SecurityInfo")];
    expect((await idle())?.id).toBe(info.id);
    // Read as SecurityInfo, but the command is DeviceInformation: nothing recorded, nothing handed out.
    const wrong = await connect({ udid, fingerprint: FP, now: new Date(), idle: false, answer: { commandUuid: info.id, status: "ACKNOWLEDGED", result: {}, readAs: "SecurityInfo" } });
    expect(wrong).toMatchObject({ recorded: false, readAsInstead: "DeviceInformation", next: null });
    expect(await statusOf(info.id)).toBe("SENT");
    // Acknowledged without any result: an error that says which result is missing.
    expect((await answer(info.id, "ACKNOWLEDGED"))?.id).toBe(sec.id);
    expect(await prisma().command.findUniqueOrThrow({ where: { id: info.id } })).toMatchObject({
      status: "ERROR",
      errorChain: [{ code: null, domain: "Mamori", description: "The answer to DeviceInformation could not be read (QueryResponses)" }],
    });
  });

  it("applies what an acknowledgement without a result does: lost mode, erase", async () => {
    const [on, off, erase] = [await enqueue("EnableLostMode"), await enqueue("DisableLostMode"), await enqueue("EraseDevice")];
    await prisma().device.update({ where: { id: deviceId }, data: { pushToken: "t", pushMagic: "m", location: { latitude: 1, longitude: 2 } } });
    expect((await idle())?.id).toBe(on.id);
    expect((await answer(on.id, "ACKNOWLEDGED"))?.id).toBe(off.id);
    expect((await prisma().device.findUniqueOrThrow({ where: { id: deviceId } })).lostMode).toBe(true);
    expect((await answer(off.id, "ACKNOWLEDGED"))?.id).toBe(erase.id);
    expect(await prisma().device.findUniqueOrThrow({ where: { id: deviceId } })).toMatchObject({ lostMode: false, location: null });
    expect(await answer(erase.id, "ACKNOWLEDGED")).toBeNull();
    expect(await prisma().device.findUniqueOrThrow({ where: { id: deviceId } })).toMatchObject({ status: "WIPED", pushToken: null, pushMagic: null });
  });

  it("two instances asking at once never get the same command", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) ids.add((await enqueue("DeviceInformation")).id);
    const got = await Promise.all(Array.from({ length: 6 }, () => idle()));
    expect(new Set(got.map((c) => c!.id))).toEqual(ids);
  });

  it("seals secrets: the PIN is sent but not readable at rest, and dropped after the answer", async () => {
    const lock = await enqueue("DeviceLock", { PIN: "123456", Message: "Lost", UnlockToken: Buffer.from([1, 2, 3]) });
    const row = await prisma().command.findUniqueOrThrow({ where: { id: lock.id } });
    expect(row.payload).toEqual({ RequestType: "DeviceLock", PIN: "[sealed]", Message: "Lost", UnlockToken: "[sealed]" });
    expect(row.sealedBody).not.toContain("123456");
    const body = commandBody(row);
    expect(body.PIN).toBe("123456");
    expect(Buffer.from(body.UnlockToken as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
    const handed = await idle();
    expect(commandBody(handed! as never).PIN).toBe("123456");
    await answer(lock.id, "ACKNOWLEDGED");
    expect((await prisma().command.findUniqueOrThrow({ where: { id: lock.id } })).sealedBody).toBeNull();
    const audit = await prisma().auditEvent.findFirstOrThrow({ where: { action: "command.enqueue" }, orderBy: { id: "desc" } });
    expect(JSON.stringify(audit.details)).not.toContain("123456");
  });

  it("answers nothing to an identity that is not the device's, and to a retired device", async () => {
    await enqueue("DeviceInformation");
    expect(await connect({ udid, fingerprint: "0".repeat(64), now: new Date(), idle: true })).toEqual({ deviceId: null, finished: false, recorded: false, readAsInstead: null, next: null });
    await prisma().device.update({ where: { id: deviceId }, data: { status: "RETIRED" } });
    expect(await connect({ udid, fingerprint: FP, now: new Date(), idle: true })).toEqual({ deviceId, finished: true, recorded: false, readAsInstead: null, next: null });
    await expect(enqueue("DeviceLock")).rejects.toMatchObject({ code: "device.notManaged" });
  });

  it("writes last-seen at most once a minute, and brings an inactive device back at once", async () => {
    const t0 = new Date("2026-12-01T00:00:00Z");
    await connect({ udid, fingerprint: FP, now: t0, idle: true });
    const seen = async () => (await prisma().device.findUniqueOrThrow({ where: { id: deviceId } })).lastCheckInAt?.getTime();
    expect(await seen()).toBe(t0.getTime());
    await connect({ udid, fingerprint: FP, now: new Date(t0.getTime() + 30_000), idle: true });
    expect(await seen()).toBe(t0.getTime());
    await prisma().device.update({ where: { id: deviceId }, data: { status: "INACTIVE" } });
    await connect({ udid, fingerprint: FP, now: new Date(t0.getTime() + 40_000), idle: true });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: deviceId } })).status).toBe("ACTIVE");
    await connect({ udid, fingerprint: FP, now: new Date(t0.getTime() + 61_000), idle: true });
    expect(await seen()).toBe(t0.getTime() + 61_000);
    // A push after the last check-in ("check in now"): the answer to it is written at once.
    await prisma().device.update({ where: { id: deviceId }, data: { lastPushAt: new Date(t0.getTime() + 62_000) } });
    await connect({ udid, fingerprint: FP, now: new Date(t0.getTime() + 63_000), idle: true });
    expect(await seen()).toBe(t0.getTime() + 63_000);
    await connect({ udid, fingerprint: FP, now: new Date(t0.getTime() + 64_000), idle: true });
    expect(await seen()).toBe(t0.getTime() + 63_000);
  });
});
