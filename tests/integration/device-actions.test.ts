import { describe, expect, it, beforeAll } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { runDeviceAction } from "@/lib/devices/actions";
import { seal } from "@/lib/crypto";
import { deviceLive } from "@/lib/devices/live";

useOwnDatabase();
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.9", userAgent: null };
let iphone: string;
let mac: string;

beforeAll(async () => {
  const e = await prisma().enrollment.create({ data: { profileTokenHash: "h", profileExpiresAt: new Date(), profileIdentifier: "jp.mamori.enrollment.test", createdByLabel: "t" } });
  iphone = (await prisma().device.create({ data: { udid: "I", platform: "IOS", status: "ACTIVE", enrollmentId: e.id, unlockTokenSealed: seal(Buffer.from("tok"), "unlock-token") } })).id;
  mac = (await prisma().device.create({ data: { udid: "M", platform: "MACOS", status: "ACTIVE" } })).id;
});

const run = (id: string, action: Parameters<typeof runDeviceAction>[1], p = {}) => runDeviceAction(id, action, p, actor, ctx);

describe("device actions", () => {
  it("queue the commands each action stands for, and audit it", async () => {
    expect((await run(iphone, "refresh")).commands.map((c) => c.requestType)).toEqual(["DeviceInformation", "SecurityInfo", "InstalledApplicationList", "ProfileList", "CertificateList"]);
    expect((await run(iphone, "lock", { message: "IT に連絡してください", phoneNumber: "03-0000-0000" })).commands[0]!.requestType).toBe("DeviceLock");
    expect((await run(iphone, "clearPasscode")).commands[0]!.requestType).toBe("ClearPasscode");
    expect((await run(iphone, "retire")).commands[0]!.requestType).toBe("RemoveProfile");
    const removal = await prisma().command.findFirstOrThrow({ where: { deviceId: iphone, requestType: "RemoveProfile" } });
    expect(removal.payload).toMatchObject({ Identifier: "jp.mamori.enrollment.test" });
    const audits = await prisma().auditEvent.findMany({ where: { targetId: iphone, action: { startsWith: "device." } }, orderBy: { id: "asc" } });
    expect(audits.map((a) => a.action)).toEqual(["device.refresh", "device.lock", "device.clearPasscode", "device.retire"]);
    expect(audits[1]!.ip).toBe("192.0.2.9");
  });

  it("refuse what cannot apply, with the reason, and queue nothing", async () => {
    const before = await prisma().command.count();
    await expect(run(mac, "lock")).rejects.toMatchObject({ code: "mdm.pinRequired" });
    await expect(run(mac, "clearPasscode")).rejects.toMatchObject({ code: "device.unavailable.platform", params: { platform: "Mac" } });
    await expect(run(iphone, "locate")).rejects.toMatchObject({ code: "device.unavailable.needsLostMode" });
    await expect(run(iphone, "lostModeOn")).rejects.toMatchObject({ code: "mdm.lostModeNeedsMessage" });
    await expect(run(mac, "retire")).rejects.toMatchObject({ code: "device.unavailable.noEnrollmentProfile" });
    // What the page hides, the server refuses too: lost mode on a device already in lost mode.
    await prisma().device.update({ where: { id: iphone }, data: { lostMode: true } });
    await expect(run(iphone, "lostModeOn", { message: "x" })).rejects.toMatchObject({ code: "device.unavailable.inLostMode" });
    await prisma().device.update({ where: { id: iphone }, data: { lostMode: false } });
    expect(await prisma().command.count()).toBe(before);
    const wipe = await run(mac, "wipe", { pin: "123456" });
    const row = await prisma().command.findUniqueOrThrow({ where: { id: wipe.commands[0]!.id } });
    expect(row.payload).toMatchObject({ PIN: "[sealed]" });
  });

  it("the page's live version changes with each command's progress, and counts what is pending", async () => {
    const before = (await deviceLive(mac))!;
    const out = await run(mac, "refresh");
    const queued = (await deviceLive(mac))!;
    expect(queued.version).not.toBe(before.version);
    expect(queued.pending).toBe(before.pending + out.commands.length);
    expect((await deviceLive(mac))!.version).toBe(queued.version);
    await prisma().command.update({ where: { id: out.commands[0]!.id }, data: { status: "SENT", sentAt: new Date(), attempts: 1 } });
    const sent = (await deviceLive(mac))!;
    expect(sent.version).not.toBe(queued.version);
    expect(sent.pending).toBe(queued.pending);
    await prisma().command.updateMany({ where: { id: { in: out.commands.map((c) => c.id) } }, data: { status: "ACKNOWLEDGED", respondedAt: new Date() } });
    expect((await deviceLive(mac))!.pending).toBe(before.pending);
    expect(await deviceLive("00000000-0000-4000-8000-000000000000")).toBeNull();
  });
});
