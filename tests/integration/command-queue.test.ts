import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { cancelCommand, commandBody, nextCommand, recordAnswer, MAX_SEND_ATTEMPTS } from "@/lib/mdm/queue";
import { enqueueCommand } from "@/lib/mdm/enqueue";

useOwnDatabase();

let deviceId: string;
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const cmd = (requestType: string, extra: Record<string, unknown> = {}) => ({ requestType, command: { RequestType: requestType, ...extra } });
const enqueue = (requestType: string, extra: Record<string, unknown> = {}, hours?: number) =>
  enqueueCommand(deviceId, cmd(requestType, extra), { actor, push: false, expiresInHours: hours });

beforeEach(async () => {
  await prisma().device.deleteMany();
  deviceId = (await prisma().device.create({ data: { udid: `U-${Math.random()}`, platform: "IOS", status: "ACTIVE" } })).id;
});

describe("command queue", () => {
  it("hands out commands in order and records answers once", async () => {
    const [a, b] = [await enqueue("DeviceInformation"), await enqueue("SecurityInfo")];
    const first = await nextCommand(deviceId, null);
    expect(first).toMatchObject({ id: a.id, status: "SENT", attempts: 1 });
    expect(await recordAnswer(deviceId, a.id.toLowerCase(), "Acknowledged", { result: { QueryResponses: { DeviceName: "iPhone" } } })).toMatchObject({ status: "ACKNOWLEDGED" });
    expect(await recordAnswer(deviceId, a.id, "Error", { errorChain: [] })).toBeNull();
    expect((await prisma().command.findUniqueOrThrow({ where: { id: a.id } })).status).toBe("ACKNOWLEDGED");
    expect((await nextCommand(deviceId, null))?.id).toBe(b.id);
    await recordAnswer(deviceId, b.id, "Acknowledged", {});
    expect(await nextCommand(deviceId, null)).toBeNull();
  });

  it("keeps a NotNow command but does not resend it in the same connection", async () => {
    const [a, b, c] = [await enqueue("InstalledApplicationList"), await enqueue("ProfileList"), await enqueue("CertificateList")];
    const connection = new Date(Date.now() - 1000);
    await nextCommand(deviceId, connection);
    await recordAnswer(deviceId, a.id, "NotNow", {});
    expect((await nextCommand(deviceId, connection))?.id).toBe(b.id);
    // Another answer than NotNow in between does not bring it back within the connection.
    await recordAnswer(deviceId, b.id, "Acknowledged", {});
    expect((await nextCommand(deviceId, connection))?.id).toBe(c.id);
    await recordAnswer(deviceId, c.id, "Acknowledged", {});
    expect(await nextCommand(deviceId, connection)).toBeNull();
    // A later connection (after a push) gets it again.
    expect((await nextCommand(deviceId, new Date(Date.now() + 1000)))?.id).toBe(a.id);
  });

  it("an unanswered or errored command never blocks the ones behind it", async () => {
    const [stuck, behind] = [await enqueue("RestartDevice"), await enqueue("DeviceLocation")];
    const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);
    expect((await nextCommand(deviceId, at(0), at(0)))?.id).toBe(stuck.id);
    // Right after sending, the device's next poll gets what is behind it, not the same again.
    expect((await nextCommand(deviceId, at(0), at(0)))?.id).toBe(behind.id);
    await recordAnswer(deviceId, behind.id, "NotNow", {}, at(0));
    for (let i = 2; i <= MAX_SEND_ATTEMPTS; i++) expect((await nextCommand(deviceId, at(0), at(3 * i)))?.id).toBe(stuck.id);
    expect((await nextCommand(deviceId, at(30), at(30)))?.id).toBe(behind.id);
    const s = await prisma().command.findUniqueOrThrow({ where: { id: stuck.id } });
    expect(s.status).toBe("ERROR");
    expect(s.errorChain).toEqual([{ code: null, domain: "Mamori", description: "The device did not answer" }]);
    await recordAnswer(deviceId, behind.id, "Error", { errorChain: [{ ErrorCode: 12078 }] });
    expect(await nextCommand(deviceId, at(60), at(60))).toBeNull();
  });

  it("expires old commands and cancels queued ones only", async () => {
    const old = await enqueue("DeviceInformation", {}, -1);
    const queued = await enqueue("SecurityInfo");
    const sent = await enqueue("ProfileList");
    await cancelCommand(queued.id, actor, ctx);
    expect((await nextCommand(deviceId, null))?.id).toBe(sent.id);
    await expect(cancelCommand(sent.id, actor, ctx)).rejects.toMatchObject({ code: "command.notCancellable" });
    const statuses = await prisma().command.findMany({ where: { deviceId }, orderBy: { seq: "asc" }, select: { status: true } });
    expect(statuses.map((s) => s.status)).toEqual(["EXPIRED", "CANCELLED", "SENT"]);
    expect(await prisma().auditEvent.count({ where: { action: "command.cancel" } })).toBe(1);
  });

  it("two instances asking at once never get the same command", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) ids.add((await enqueue("DeviceInformation")).id);
    const got = await Promise.all(Array.from({ length: 6 }, () => nextCommand(deviceId, null)));
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
    await nextCommand(deviceId, null);
    await recordAnswer(deviceId, lock.id, "Acknowledged", {});
    expect((await prisma().command.findUniqueOrThrow({ where: { id: lock.id } })).sealedBody).toBeNull();
    const audit = await prisma().auditEvent.findFirstOrThrow({ where: { action: "command.enqueue" }, orderBy: { id: "desc" } });
    expect(JSON.stringify(audit.details)).not.toContain("123456");
  });

  it("refuses commands for retired devices", async () => {
    await prisma().device.update({ where: { id: deviceId }, data: { status: "RETIRED" } });
    await expect(enqueue("DeviceLock")).rejects.toMatchObject({ code: "device.notManaged" });
  });
});
