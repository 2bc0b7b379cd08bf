import { describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { createConfiguration } from "@/lib/configurations/service";
import { uploadCertificate } from "@/lib/user-certificates/service";
import { createTestCa } from "../support/test-ca";
import { smimeP12 } from "../support/user-p12";
import { createUsers, deleteUser, listUsers, parseUserLines, setDisabled, updateUser } from "@/lib/users/service";

useOwnDatabase();

const ctx = { ip: "192.0.2.20", userAgent: "vitest" };

async function admin(email = "boss@example.jp") {
  const u = await prisma().user.create({ data: { email, displayName: "Boss", role: "ADMIN" } });
  return { user: u, actor: { id: u.id, label: u.email } };
}

describe("parsing pasted users", () => {
  it("reads 'name, email', 'name <email>', tabs and bare addresses", () => {
    expect(parseUserLines("Hanako Sato, Hanako@Example.jp\n\nTaro Suzuki <taro@example.jp>\nJiro\tjiro@example.jp\nsaburo@example.jp\n")).toEqual([
      { displayName: "Hanako Sato", email: "hanako@example.jp" },
      { displayName: "Taro Suzuki", email: "taro@example.jp" },
      { displayName: "Jiro", email: "jiro@example.jp" },
      { displayName: "saburo", email: "saburo@example.jp" },
    ]);
  });

  it("names the bad or repeated line", () => {
    expect(() => parseUserLines("a, a@example.jp\nno address here")).toThrow(expect.objectContaining({ code: "users.lineInvalid", params: { line: 2, text: "no address here" } }));
    expect(() => parseUserLines("a@example.jp\nA@example.jp")).toThrow(expect.objectContaining({ code: "users.lineDuplicate", params: { line: 2, email: "a@example.jp" } }));
    expect(() => parseUserLines("  \n")).toThrow(expect.objectContaining({ code: "users.noLines" }));
  });
});

describe("users", () => {
  it("creates all or none; an address in use names itself", async () => {
    const { actor } = await admin();
    const group = await prisma().userGroup.create({ data: { name: "Sales" } });
    const made = await createUsers({ users: parseUserLines("A, a@example.jp\nB, b@example.jp"), role: "END_USER", groupId: group.id }, actor, ctx);
    expect(made.map((u) => [u.email, u.groupId])).toEqual([["a@example.jp", group.id], ["b@example.jp", group.id]]);
    await expect(createUsers({ users: parseUserLines("C, c@example.jp\nA again, a@example.jp"), role: "END_USER" }, actor, ctx)).rejects.toMatchObject({ code: "users.emailTaken", params: { email: "a@example.jp" } });
    expect(await prisma().user.findUnique({ where: { email: "c@example.jp" } })).toBeNull();
    await expect(createUsers({ users: parseUserLines("d@example.jp"), role: "END_USER", groupId: "00000000-0000-4000-8000-000000000000" }, actor, ctx)).rejects.toMatchObject({ code: "users.groupNotFound" });
    expect(await prisma().auditEvent.count({ where: { action: "user.create" } })).toBe(2);
  });

  it("edits name, email, role and group; refuses a taken address and demoting the last admin", async () => {
    const { user: boss, actor } = await admin("boss2@example.jp");
    const [u] = await createUsers({ users: parseUserLines("Edit Me, edit@example.jp"), role: "END_USER" }, actor, ctx);
    const updated = await updateUser(u!.id, { displayName: "Edited", email: "Edited@Example.jp", role: "ADMIN", groupId: null, locale: "en" }, actor, ctx);
    expect(updated).toMatchObject({ displayName: "Edited", email: "edited@example.jp", role: "ADMIN", locale: "en", sessionVersion: 1 });
    await expect(updateUser(u!.id, { displayName: "x", email: boss.email, role: "ADMIN", groupId: null, locale: null }, actor, ctx)).rejects.toMatchObject({ code: "users.emailTaken" });
    await expect(updateUser(boss.id, { displayName: "Boss", email: boss.email, role: "END_USER", groupId: null, locale: null }, actor, ctx)).rejects.toMatchObject({ code: "users.notYourself" });
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "user.update", targetId: u!.id } });
    expect(event.details).toMatchObject({ previousEmail: "edit@example.jp" });
  });

  it("disabling ends sessions; not yourself", async () => {
    const { user: boss, actor } = await admin("boss3@example.jp");
    const [u] = await createUsers({ users: parseUserLines("off@example.jp"), role: "END_USER" }, actor, ctx);
    await setDisabled(u!.id, true, actor, ctx);
    expect(await prisma().user.findUniqueOrThrow({ where: { id: u!.id } })).toMatchObject({ disabled: true, sessionVersion: 1 });
    await setDisabled(u!.id, false, actor, ctx);
    expect((await prisma().user.findUniqueOrThrow({ where: { id: u!.id } })).disabled).toBe(false);
    await expect(setDisabled(boss.id, true, actor, ctx)).rejects.toMatchObject({ code: "users.notYourself" });
  });

  it("moving a user between groups or disabling them updates the certificate profiles on their devices", async () => {
    const { actor } = await admin("boss-configs@example.jp");
    const sales = await prisma().userGroup.create({ data: { name: "Sales (configs)" } });
    const [u] = await createUsers({ users: parseUserLines("Mover, mover@example.jp"), role: "END_USER" }, actor, ctx);
    const phone = await prisma().device.create({ data: { udid: "users-mover-phone", platform: "IOS", status: "ACTIVE", ownerId: u!.id } });
    await uploadCertificate(u!, { purpose: "ENCRYPTION", file: smimeP12(createTestCa("Users Mail CA"), { password: "pw" }), password: "pw" }, ctx);
    await createConfiguration({ name: "Sales encryption", purposes: ["ENCRYPTION"], groupId: sales.id }, actor, ctx);
    const count = (requestType: string) => prisma().command.count({ where: { deviceId: phone.id, requestType } });
    expect(await count("InstallProfile")).toBe(0);

    await updateUser(u!.id, { displayName: "Mover", email: u!.email, role: "END_USER", groupId: sales.id, locale: null }, actor, ctx);
    expect(await count("InstallProfile")).toBe(1);
    await setDisabled(u!.id, true, actor, ctx);
    expect(await count("RemoveProfile")).toBe(1);
    await setDisabled(u!.id, false, actor, ctx);
    expect(await count("InstallProfile")).toBe(2);
    await updateUser(u!.id, { displayName: "Mover", email: u!.email, role: "END_USER", groupId: null, locale: null }, actor, ctx);
    expect(await count("RemoveProfile")).toBe(2);
  });

  it("deleting keeps the user's devices, ownerless, after the email is typed", async () => {
    const { actor } = await admin("boss4@example.jp");
    const [u] = await createUsers({ users: parseUserLines("gone@example.jp"), role: "END_USER" }, actor, ctx);
    const device = await prisma().device.create({ data: { udid: "DEL-UDID", platform: "IOS", status: "ACTIVE", ownerId: u!.id } });
    await expect(deleteUser(u!.id, "wrong@example.jp", actor, ctx)).rejects.toMatchObject({ code: "users.confirmMismatch" });
    expect(await deleteUser(u!.id, " GONE@example.jp ", actor, ctx)).toEqual({ devicesKept: 1 });
    expect(await prisma().user.findUnique({ where: { id: u!.id } })).toBeNull();
    expect(await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).toMatchObject({ ownerId: null, status: "ACTIVE" });
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "user.delete", targetId: u!.id } });
    expect(event).toMatchObject({ targetLabel: "gone@example.jp" });
  });

  it("the last active admin cannot be disabled or deleted by another", async () => {
    await prisma().user.updateMany({ where: { role: "ADMIN" }, data: { disabled: true } });
    const { user: a } = await admin("only-admin@example.jp");
    const other = { id: null, label: "system" };
    await expect(setDisabled(a.id, true, other, ctx)).rejects.toMatchObject({ code: "users.lastAdmin" });
    await expect(deleteUser(a.id, a.email, other, ctx)).rejects.toMatchObject({ code: "users.lastAdmin" });
  });

  it("searches name, email and username; pages by 50", async () => {
    const { actor } = await admin("boss5@example.jp");
    await createUsers({ users: Array.from({ length: 60 }, (_, i) => ({ displayName: `Page User ${i}`, email: `page${String(i).padStart(2, "0")}@paging.example` })), role: "END_USER" }, actor, ctx);
    const first = await listUsers({ q: "paging.example" });
    expect(first).toMatchObject({ total: 60, pages: 2, page: 1 });
    expect(first.users).toHaveLength(50);
    expect((await listUsers({ q: "paging.example", page: 2 })).users).toHaveLength(10);
    expect((await listUsers({ q: "page user 59" })).users.map((u) => u.email)).toEqual(["page59@paging.example"]);
    expect((await listUsers({ q: "zzz-nothing" })).total).toBe(0);
  });
});

describe("the users list", () => {
  it("takes a NUL in the search and any page number without failing (found by tests/e2e/fuzz-routes)", async () => {
    for (const [q, page] of [["\u0000", Infinity], ["a\u0000b", 1e20], ["", NaN]] as const) {
      await expect(listUsers({ q, page })).resolves.toMatchObject({ users: expect.any(Array) });
    }
  });
});
