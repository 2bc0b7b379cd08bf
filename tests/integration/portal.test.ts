import { openMail } from "@/lib/mail";
import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { seal } from "@/lib/crypto";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { allowedActions, effectivePrivacy, resolvePrivacy, saveGlobalPrivacy, saveGroupPrivacy } from "@/lib/privacy";
import { myDeviceStatus, runPortalAction } from "@/lib/portal/devices";
import { ownDevice } from "@/lib/auth/owner";
import { changeDisplayName, changePassword, confirmEmailChange, pendingEmailChange, requestEmailChange, hashToken } from "@/lib/account";
import { createConfiguration, updateConfiguration } from "@/lib/configurations/service";
import { createGroup, deleteGroup, listGroups, updateGroup } from "@/lib/groups";
import type { User } from "@/lib/db/generated/client";

useOwnDatabase();
const ctx = { ip: "198.51.100.7", userAgent: "vitest" };
const admin = { id: null, label: "admin@example.jp" };
let hanako: User;
let taro: User;
let iphone: string;
let mac: string;

beforeAll(async () => {
  const mk = (email: string, name: string, extra = {}) => prisma().user.create({ data: { email, displayName: name, role: "END_USER", ...extra } });
  hanako = await mk("hanako@example.jp", "Hanako Sato", { passwordHash: await hashPassword("hanako-first-pass") });
  taro = await mk("taro@example.jp", "Taro Yamada");
  const e = await prisma().enrollment.create({ data: { userId: hanako.id, profileTokenHash: "h", profileExpiresAt: new Date(), profileIdentifier: "jp.mamori.enrollment.portal", createdByLabel: "t" } });
  iphone = (await prisma().device.create({ data: { udid: "PI", platform: "IOS", status: "ACTIVE", ownerId: hanako.id, enrollmentId: e.id, supervised: true, unlockTokenSealed: seal(Buffer.from("tok"), "unlock-token") } })).id;
  mac = (await prisma().device.create({ data: { udid: "PM", platform: "MACOS", status: "ACTIVE", ownerId: hanako.id } })).id;
});

describe("privacy settings", () => {
  it("resolve a group's override over the global value, key by key", () => {
    const global = { location: false, wipe: true, retire: true, unlock: true };
    expect(resolvePrivacy(global, null)).toEqual(global);
    expect(resolvePrivacy(global, { location: true, wipe: null, retire: false, unlock: null })).toEqual({ location: true, wipe: true, retire: false, unlock: true });
  });

  it("default to location off and the rest on; groups override the stored global", async () => {
    expect(await effectivePrivacy({ groupId: null })).toEqual({ location: false, wipe: true, retire: true, unlock: true });
    const sales = await createGroup({ name: "Sales" }, admin, ctx);
    await saveGlobalPrivacy({ location: true, wipe: true, retire: true, unlock: false }, admin, ctx);
    await saveGroupPrivacy(sales.id, { location: false, wipe: false, retire: null, unlock: true }, admin, ctx);
    expect(await allowedActions({ groupId: null })).toMatchObject({ locate: true, lostModeOff: true, wipe: true, unlock: false, lock: true, checkIn: true });
    expect(await allowedActions({ groupId: sales.id })).toMatchObject({ locate: false, lostModeOff: false, wipe: false, retire: true, unlock: true, lock: true });
    // All "as global" removes the override.
    await saveGroupPrivacy(sales.id, { location: null, wipe: null, retire: null, unlock: null }, admin, ctx);
    expect(await prisma().groupPrivacy.count({ where: { groupId: sales.id } })).toBe(0);
    expect(await allowedActions({ groupId: sales.id })).toMatchObject({ locate: true, unlock: false });
    const audits = await prisma().auditEvent.findMany({ where: { action: { in: ["privacy.group.update", "settings.update"] } } });
    expect(audits.length).toBe(3);
    expect(audits.every((a) => a.ip === ctx.ip)).toBe(true);
    await saveGlobalPrivacy({ location: true, wipe: true, retire: true, unlock: true }, admin, ctx);
  });
});

describe("groups", () => {
  it("create, rename, refuse duplicates in any case, delete leaving members without a group", async () => {
    const g = await createGroup({ name: "  Engineering ", description: "開発部" }, admin, ctx);
    expect(g.name).toBe("Engineering");
    await expect(createGroup({ name: "engineering" }, admin, ctx)).rejects.toMatchObject({ code: "groups.nameTaken" });
    await expect(createGroup({ name: " " }, admin, ctx)).rejects.toMatchObject({ code: "groups.nameRequired" });
    await updateGroup(g.id, { name: "Dev" }, admin, ctx);
    await prisma().user.update({ where: { id: taro.id }, data: { groupId: g.id } });
    expect((await listGroups()).find((x) => x.id === g.id)?._count.users).toBe(1);
    await deleteGroup(g.id, admin, ctx);
    expect((await prisma().user.findUniqueOrThrow({ where: { id: taro.id } })).groupId).toBeNull();
    await expect(deleteGroup(g.id, admin, ctx)).rejects.toMatchObject({ code: "groups.notFound" });
  });
});

describe("groups targeted by a configuration", () => {
  it("cannot be deleted until the configuration aims elsewhere", async () => {
    const g = await createGroup({ name: "Mail users" }, admin, ctx);
    const { configuration } = await createConfiguration({ name: "S/MIME for mail users", purposes: ["SIGNING"], groupId: g.id }, admin, ctx);
    await expect(deleteGroup(g.id, admin, ctx)).rejects.toMatchObject({ code: "groups.inUse", params: { configurations: "S/MIME for mail users" } });
    expect(await prisma().userGroup.count({ where: { id: g.id } })).toBe(1);
    await updateConfiguration(configuration.id, { name: "S/MIME for mail users", purposes: ["SIGNING"], groupId: null }, admin, ctx);
    await deleteGroup(g.id, admin, ctx);
    expect(await prisma().userGroup.count({ where: { id: g.id } })).toBe(0);
  });
});

describe("portal device actions", () => {
  it("run on the owner's own device and are audited with the address", async () => {
    const out = await runPortalAction(hanako, iphone, "lock", { message: "拾った方はご連絡ください" }, ctx);
    expect(out.commands.map((c) => c.requestType)).toEqual(["DeviceLock"]);
    const located = await runPortalAction(hanako, iphone, "locate", { message: "Call me", phoneNumber: "090-0000-0000" }, ctx);
    expect(located.commands.map((c) => c.requestType)).toEqual(["EnableLostMode", "DeviceLocation"]);
    const unlock = await runPortalAction(hanako, iphone, "unlock", {}, ctx);
    expect(unlock.commands.map((c) => c.requestType)).toEqual(["ClearPasscode"]);
    const a = await prisma().auditEvent.findFirstOrThrow({ where: { action: "device.clearPasscode" } });
    expect(a).toMatchObject({ actorId: hanako.id, actorLabel: "hanako@example.jp", ip: ctx.ip, targetId: iphone });
    const status = await myDeviceStatus(hanako, (await ownDevice(hanako, iphone))!);
    expect(status.commands.map((c) => [c.requestType, c.state])).toEqual([["ClearPasscode", "queued"], ["DeviceLocation", "queued"], ["EnableLostMode", "queued"], ["DeviceLock", "queued"]]);
  });

  it("refuse another user's device as not found, audited, queueing nothing", async () => {
    const before = await prisma().command.count();
    for (const action of ["lock", "wipe", "retire", "unlock", "checkIn", "locate"] as const) {
      await expect(runPortalAction(taro, iphone, action, { message: "x" }, ctx)).rejects.toMatchObject({ code: "portal.deviceNotFound" });
    }
    await expect(runPortalAction(taro, "not-a-uuid", "lock", {}, ctx)).rejects.toMatchObject({ code: "portal.deviceNotFound" });
    expect(await prisma().command.count()).toBe(before);
    expect(await ownDevice(taro, iphone)).toBeNull();
    // Made-up ids are "not found" too, never a database error.
    expect(await ownDevice(hanako, "-".repeat(36))).toBeNull();
    expect(await ownDevice(hanako, "not-a-device", { action: "portal.status", ...ctx })).toBeNull();
    const denied = await prisma().auditEvent.findMany({ where: { actorId: taro.id, result: "DENIED" }, orderBy: { id: "asc" } });
    expect(denied.length).toBe(7);
    expect(denied.every((d) => (d.details as { reason: string }).reason === "notOwner")).toBe(true);
    expect(denied[0]).toMatchObject({ action: "portal.lock", targetId: iphone, ip: ctx.ip });
  });

  it("refuse what privacy forbids on the server, and what the device cannot do", async () => {
    const g = await createGroup({ name: "No wipe" }, admin, ctx);
    await saveGroupPrivacy(g.id, { location: false, wipe: false, retire: null, unlock: null }, admin, ctx);
    const inGroup = { ...hanako, groupId: g.id };
    const before = await prisma().command.count();
    await expect(runPortalAction(inGroup, iphone, "wipe", {}, ctx)).rejects.toMatchObject({ code: "portal.notAllowed" });
    await expect(runPortalAction(inGroup, iphone, "locate", { message: "x" }, ctx)).rejects.toMatchObject({ code: "portal.notAllowed" });
    expect((await myDeviceStatus(inGroup, (await ownDevice(hanako, iphone))!)).location).toBeNull();
    await expect(runPortalAction(hanako, mac, "unlock", {}, ctx)).rejects.toMatchObject({ code: "device.unavailable.platform" });
    const tokenless = await prisma().device.create({ data: { udid: "PT", platform: "IOS", status: "ACTIVE", ownerId: hanako.id, supervised: false } });
    await expect(runPortalAction(hanako, tokenless.id, "unlock", {}, ctx)).rejects.toMatchObject({ code: "device.unavailable.noUnlockToken" });
    await expect(runPortalAction(hanako, tokenless.id, "locate", { message: "x" }, ctx)).rejects.toMatchObject({ code: "device.unavailable.supervisedOnly" });
    await expect(runPortalAction(hanako, tokenless.id, "lostModeOff", {}, ctx)).rejects.toMatchObject({ code: "device.unavailable.supervisedOnly" });
    await expect(runPortalAction(hanako, iphone, "lostModeOff", {}, ctx)).rejects.toMatchObject({ code: "device.unavailable.needsLostMode" });
    await expect(runPortalAction(hanako, mac, "lock", {}, ctx)).rejects.toMatchObject({ code: "mdm.pinRequired" });
    expect(await prisma().command.count()).toBe(before);
    expect(await prisma().auditEvent.count({ where: { actorId: hanako.id, action: "portal.wipe", result: "DENIED" } })).toBe(1);
  });
});

describe("account", () => {
  it("changes the display name", async () => {
    expect(await changeDisplayName(hanako, "  佐藤   花子 ", ctx)).toBe("佐藤 花子");
    await expect(changeDisplayName(hanako, "  ", ctx)).rejects.toMatchObject({ code: "account.nameRequired" });
  });

  it("email change: the link is used once, a newer request replaces older ones, expired links fail", async () => {
    await expect(requestEmailChange(hanako, "taro@example.jp", "http://x", ctx)).rejects.toMatchObject({ code: "account.emailTaken" });
    await expect(requestEmailChange(hanako, "not-an-address", "http://x", ctx)).rejects.toMatchObject({ code: "account.emailInvalid" });
    const first = await requestEmailChange(hanako, "first@example.jp", "https://mdm.example.jp", ctx);
    const second = await requestEmailChange(hanako, "Hanako.New@Example.jp", "https://mdm.example.jp", ctx);
    expect(second.email).toBe("hanako.new@example.jp");
    const mail = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { to: { has: "hanako.new@example.jp" } } }));
    expect(mail.text).toContain(`https://mdm.example.jp/email-change/${second.token}`);
    expect(await prisma().emailChange.findFirst({ where: { tokenHash: second.token } })).toBeNull(); // only the hash is stored
    expect(await pendingEmailChange(first.token)).toBeNull();
    await expect(confirmEmailChange(first.token, ctx)).rejects.toMatchObject({ code: "account.emailLinkInvalid" });
    expect(await pendingEmailChange(second.token)).toEqual({ newEmail: "hanako.new@example.jp", oldEmail: "hanako@example.jp" });
    expect(await confirmEmailChange(second.token, ctx)).toEqual({ email: "hanako.new@example.jp" });
    expect((await prisma().user.findUniqueOrThrow({ where: { id: hanako.id } })).email).toBe("hanako.new@example.jp");
    await expect(confirmEmailChange(second.token, ctx)).rejects.toMatchObject({ code: "account.emailLinkInvalid" });
    expect(await prisma().mailMessage.count({ where: { to: { has: "hanako@example.jp" } } })).toBe(1); // the old address is told
    hanako = await prisma().user.findUniqueOrThrow({ where: { id: hanako.id } });

    const late = await requestEmailChange(hanako, "late@example.jp", "http://x", ctx);
    await prisma().emailChange.update({ where: { tokenHash: hashToken(late.token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(confirmEmailChange(late.token, ctx)).rejects.toMatchObject({ code: "account.emailLinkInvalid" });
    expect((await prisma().user.findUniqueOrThrow({ where: { id: hanako.id } })).email).toBe("hanako.new@example.jp");
  });

  it("password change: current password required, rules applied, sessions ended; directory users refused", async () => {
    const input = { current: "wrong-password", next: "a-much-better-pass", confirm: "a-much-better-pass" };
    await expect(changePassword(hanako, input, ctx)).rejects.toMatchObject({ code: "account.currentPasswordWrong" });
    await expect(changePassword(hanako, { ...input, current: "hanako-first-pass", next: "short", confirm: "short" }, ctx)).rejects.toMatchObject({ code: "password.tooShort" });
    await expect(changePassword(hanako, { ...input, current: "hanako-first-pass", confirm: "different-pass-x" }, ctx)).rejects.toMatchObject({ code: "password.mismatch" });
    await changePassword(hanako, { ...input, current: "hanako-first-pass" }, ctx);
    const after = await prisma().user.findUniqueOrThrow({ where: { id: hanako.id } });
    expect(after.sessionVersion).toBe(hanako.sessionVersion + 1);
    expect(await verifyPassword("a-much-better-pass", after.passwordHash)).toBe(true);

    const dir = await prisma().user.create({ data: { email: "dir@example.jp", displayName: "Dir User", role: "END_USER", source: "DIRECTORY" } });
    await expect(changePassword(dir, { current: "x", next: "a-much-better-pass", confirm: "a-much-better-pass" }, ctx)).rejects.toMatchObject({ code: "account.passwordInDirectory" });
    expect((await prisma().user.findUniqueOrThrow({ where: { id: dir.id } })).passwordHash).toBeNull();
  });

  it("password change: wrong current passwords are rate-limited", async () => {
    const u = await prisma().user.create({ data: { email: "guess@example.jp", displayName: "Guess", role: "END_USER", passwordHash: await hashPassword("guess-right-pass") } });
    for (let i = 0; i < 5; i++) await expect(changePassword(u, { current: `wrong-${i}`, next: "another-good-pass", confirm: "another-good-pass" }, ctx)).rejects.toMatchObject({ code: "account.currentPasswordWrong" });
    await expect(changePassword(u, { current: "guess-right-pass", next: "another-good-pass", confirm: "another-good-pass" }, ctx)).rejects.toMatchObject({ code: "account.passwordRateLimited" });
  });
});
