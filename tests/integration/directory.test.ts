import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Attribute, Change } from "ldapts";
import { useOwnDatabase } from "../support/own-database";
import { startSlapd, manyUsers, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, SUFFIX, userLdif, type Slapd, type DirectoryUser } from "../support/slapd";
import { prisma } from "@/lib/db/client";
import { getDirectoryConfig, getSyncStatus, saveDirectoryConfig, type ConfigInput } from "@/lib/directory/config";
import { testDirectory } from "@/lib/directory/service";
import { runScheduledSync, startDirectoryImport, syncDirectory } from "@/lib/directory/sync";
import { attemptLogin } from "@/lib/auth/login";
import { hashPassword } from "@/lib/auth/password";
import { canChangePassword, assertCanChangePassword } from "@/lib/users/password-policy";
import { definedJobs } from "@/lib/jobs/queue";
import { finishedJob, startTestJobs } from "../support/jobs";
import { openString } from "@/lib/crypto";
import { createConfiguration } from "@/lib/configurations/service";
import { uploadCertificate } from "@/lib/user-certificates/service";
import { createTestCa } from "../support/test-ca";
import { smimeP12 } from "../support/user-p12";

const db = useOwnDatabase();
const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.50", userAgent: "vitest" };

const TARO: DirectoryUser = { uid: "taro", cn: "Taro Yamada", displayName: "山田 太郎", mail: "taro@example.jp", password: "taro-directory-pw", extra: { departmentNumber: "Sales" } };
const HANAKO: DirectoryUser = { uid: "hanako", cn: "Hanako Sato", mail: "hanako@example.jp", password: "hanako-directory-pw", extra: { departmentNumber: "Engineering" } };
const CLASH: DirectoryUser = { uid: "clash", cn: "Clash User", mail: "local.admin@example.jp", password: "clash-pw" };

let slapd: Slapd;

function settings(over: Partial<ConfigInput> = {}): ConfigInput {
  return {
    url: slapd.ldapUrl,
    startTls: false,
    caPem: "",
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    baseDn: PEOPLE_DN,
    filter: "(&(objectClass=inetOrgPerson)(!(employeeType=disabled)))",
    nameAttribute: "displayName",
    emailAttribute: "mail",
    usernameAttribute: "uid",
    groupAttribute: "departmentNumber",
    syncEnabled: false,
    syncIntervalMinutes: 60,
    ...over,
  };
}

const save = (over: Partial<ConfigInput> = {}) => saveDirectoryConfig(settings(over), admin, ctx);
const code = (p: Promise<unknown>) => p.then(() => "resolved", (e) => (e as { code?: string }).code ?? String(e));

beforeAll(async () => {
  slapd = await startSlapd([TARO, HANAKO, CLASH, ...manyUsers(1200)]);
});

afterAll(async () => {
  await slapd?.stop();
});

describe("settings", () => {
  it("refuses bad input with a field-specific code and stores nothing", async () => {
    expect(await code(save({ url: "http://ldap.example.jp" }))).toBe("directory.urlInvalid");
    expect(await code(save({ url: "ldap://host/ou=x" }))).toBe("directory.urlInvalid");
    expect(await code(save({ filter: "objectClass=*" }))).toBe("directory.filterInvalid");
    expect(await code(save({ filter: "(&(uid=a)" }))).toBe("directory.filterInvalid");
    expect(await code(save({ baseDn: "" }))).toBe("directory.baseDnInvalid");
    expect(await code(save({ usernameAttribute: "u id" }))).toBe("directory.attributeInvalid");
    expect(await code(save({ caPem: "not a certificate" }))).toBe("directory.caInvalid");
    expect(await code(save({ syncIntervalMinutes: 1 }))).toBe("directory.intervalInvalid");
    expect(await code(save({ url: slapd.ldapsUrl, startTls: true }))).toBe("directory.startTlsWithLdaps");
    expect(await code(save({ bindPassword: "" }))).toBe("directory.passwordRequired");
    expect(await prisma().setting.findUnique({ where: { key: "directory" } })).toBeNull();
    expect(await code(testDirectory(admin, ctx))).toBe("directory.notConfigured");
  });

  it("seals the bind password, keeps it when left blank, and audits without it", async () => {
    await save();
    const row = await prisma().setting.findUniqueOrThrow({ where: { key: "directory" } });
    expect(JSON.stringify(row.value)).not.toContain(SERVICE_PASSWORD);
    const c1 = await getDirectoryConfig();
    expect(openString(c1.bindPasswordSealed!, "directory.bindPassword")).toBe(SERVICE_PASSWORD);
    await save({ bindPassword: "", filter: "(objectClass=inetOrgPerson)" });
    const c2 = await getDirectoryConfig();
    expect(c2.bindPasswordSealed).toBe(c1.bindPasswordSealed);
    expect(c2.filter).toBe("(objectClass=inetOrgPerson)");
    const events = await prisma().auditEvent.findMany({ where: { action: "directory.settings" } });
    expect(events).toHaveLength(2);
    expect(JSON.stringify(events.map((e) => e.details))).not.toContain(SERVICE_PASSWORD);
    expect(events.map((e) => (e.details as { passwordChanged: boolean }).passwordChanged)).toEqual([true, false]);
    await save();
  });
});

describe("test connection", () => {
  it("over plain ldap:// counts every matching user across pages", async () => {
    await save();
    expect(await testDirectory(admin, ctx)).toEqual({ count: 1203 });
    const ev = await prisma().auditEvent.findFirstOrThrow({ where: { action: "directory.test" }, orderBy: { id: "desc" } });
    expect(ev).toMatchObject({ result: "SUCCESS", details: { count: 1203 } });
  });

  it("over ldaps:// with the CA, and refuses it without the CA", async () => {
    await save({ url: slapd.ldapsUrl, caPem: slapd.caPem });
    expect((await testDirectory(admin, ctx)).count).toBe(1203);
    await save({ url: slapd.ldapsUrl, caPem: "" });
    expect(await code(testDirectory(admin, ctx))).toBe("directory.tlsFailed");
  });

  it("checks the host name against the certificate", async () => {
    // Same server and CA, reached as 127.0.0.2, which the certificate does not name.
    await save({ url: slapd.ldapsWrongNameUrl, caPem: slapd.caPem });
    const err = await testDirectory(admin, ctx).catch((e) => e);
    expect(err.code).toBe("directory.tlsFailed");
    expect(err.params.reason).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("with StartTLS, and refuses StartTLS with an untrusted certificate", async () => {
    await save({ startTls: true, caPem: slapd.caPem });
    expect((await testDirectory(admin, ctx)).count).toBe(1203);
    await save({ startTls: true, caPem: "" });
    const err = await testDirectory(admin, ctx).catch((e) => e);
    expect(err.code).toBe("directory.tlsFailed");
    expect(err.params.host).toBe(new URL(slapd.ldapUrl).host);
  });

  it("names a wrong bind password, a wrong base DN and an unreachable host", async () => {
    await save({ bindPassword: "wrong-password" });
    expect(await code(testDirectory(admin, ctx))).toBe("directory.bindRefused");
    await save({ bindPassword: SERVICE_PASSWORD, baseDn: `ou=nowhere,${SUFFIX}` });
    expect(await code(testDirectory(admin, ctx))).toBe("directory.baseNotFound");
    // A port nobody listens on: the ldaps port's neighbour is closed after slapd bound its ports.
    await save({ url: "ldap://127.0.0.1:1" });
    expect(await code(testDirectory(admin, ctx))).toBe("directory.unreachable");
    const failures = await prisma().auditEvent.count({ where: { action: "directory.test", result: "FAILURE" } });
    expect(failures).toBeGreaterThanOrEqual(4);
    await save();
  });

  it("a plain search stops at the server's size limit, so the paging is what gets every user", async () => {
    const { Client, SizeLimitExceededError } = await import("ldapts");
    const c = new Client({ url: slapd.ldapUrl });
    await c.bind(SERVICE_DN, SERVICE_PASSWORD);
    await expect(c.search(PEOPLE_DN, { filter: "(objectClass=inetOrgPerson)", attributes: ["uid"] })).rejects.toBeInstanceOf(SizeLimitExceededError);
    await c.unbind();
  });
});

describe("import and sync", () => {
  beforeAll(async () => {
    await prisma().user.create({ data: { email: "local.admin@example.jp", displayName: "Local Admin", role: "ADMIN", passwordHash: await hashPassword("local-admin-password") } });
    await save();
  });

  it("creates directory users with usernames and groups, paging through more than the size limit", async () => {
    const s = await syncDirectory(admin, ctx, "manual", new Date(), { pageSize: 100 });
    expect(s).toMatchObject({ created: 1202, updated: 0, disabled: 0, conflicts: 1, skipped: 0 });
    expect(s.conflictSamples).toEqual([{ username: "clash", email: "local.admin@example.jp", reason: "localUser" }]);
    const taro = await prisma().user.findUniqueOrThrow({ where: { username: "taro" }, include: { group: true } });
    expect(taro).toMatchObject({ email: "taro@example.jp", displayName: "山田 太郎", source: "DIRECTORY", role: "END_USER", passwordHash: null, disabled: false });
    expect(taro.group?.name).toBe("Sales");
    // No displayName: falls back to cn.
    expect((await prisma().user.findUniqueOrThrow({ where: { username: "hanako" } })).displayName).toBe("Hanako Sato");
    // The local user is untouched.
    const local = await prisma().user.findUniqueOrThrow({ where: { email: "local.admin@example.jp" } });
    expect(local).toMatchObject({ source: "LOCAL", username: null, displayName: "Local Admin", role: "ADMIN" });
    const ev = await prisma().auditEvent.findFirstOrThrow({ where: { action: "directory.sync" }, orderBy: { id: "desc" } });
    expect(ev.details).toMatchObject({ trigger: "manual", created: 1202, conflicts: 1 });
    const status = await getSyncStatus();
    expect(status).toMatchObject({ runningSince: null, lastTrigger: "manual", lastResult: { ok: true, created: 1202 } });
  });

  it("a second run changes nothing", async () => {
    const s = await syncDirectory(admin, ctx, "manual");
    expect(s).toMatchObject({ created: 0, updated: 0, disabled: 0, unchanged: 1202, conflicts: 1 });
  });

  it("updates changed names and emails, disables users no longer found, and re-enables them when they return", async () => {
    await slapd.admin(async (c) => {
      await c.modify(`uid=taro,${PEOPLE_DN}`, [
        new Change({ operation: "replace", modification: new Attribute({ type: "mail", values: ["taro.yamada@example.jp"] }) }),
        new Change({ operation: "replace", modification: new Attribute({ type: "displayName", values: ["山田 太郎 (営業)"] }) }),
      ]);
      await c.del(`uid=user0001,${PEOPLE_DN}`);
      await c.modify(`uid=user0002,${PEOPLE_DN}`, [new Change({ operation: "add", modification: new Attribute({ type: "employeeType", values: ["disabled"] }) })]);
    });
    await save({ filter: "(&(objectClass=inetOrgPerson)(!(employeeType=disabled)))" });
    const before = await prisma().user.findUniqueOrThrow({ where: { username: "user0001" } });
    const s = await syncDirectory(admin, ctx, "manual");
    expect(s).toMatchObject({ created: 0, updated: 1, disabled: 2, conflicts: 1 });
    expect(await prisma().user.findUniqueOrThrow({ where: { username: "taro" } })).toMatchObject({ email: "taro.yamada@example.jp", displayName: "山田 太郎 (営業)" });
    const gone = await prisma().user.findUniqueOrThrow({ where: { username: "user0001" } });
    expect(gone.disabled).toBe(true);
    expect(gone.directoryMissingAt).not.toBeNull();
    expect(gone.sessionVersion).toBe(before.sessionVersion + 1);

    // An admin disables hanako in Mamori: the sync must not undo that.
    await prisma().user.update({ where: { username: "hanako" }, data: { disabled: true } });
    await slapd.admin((c) => c.add(`uid=user0001,${PEOPLE_DN}`, { objectClass: "inetOrgPerson", uid: "user0001", cn: "User user0001", sn: "user0001", mail: "user0001@example.jp", userPassword: "pw-user0001" }));
    const s2 = await syncDirectory(admin, ctx, "manual");
    expect(s2).toMatchObject({ created: 0, enabled: 1, disabled: 0 });
    expect(await prisma().user.findUniqueOrThrow({ where: { username: "user0001" } })).toMatchObject({ disabled: false, directoryMissingAt: null });
    expect((await prisma().user.findUniqueOrThrow({ where: { username: "hanako" } })).disabled).toBe(true);
    await prisma().user.update({ where: { username: "hanako" }, data: { disabled: false } });
  });

  it("moving a user to another group in the directory takes that group's certificate profiles off their devices", async () => {
    const taro = await prisma().user.findUniqueOrThrow({ where: { username: "taro" }, include: { group: true } });
    expect(taro.group?.name).toBe("Sales");
    const phone = await prisma().device.create({ data: { udid: "directory-taro-phone", platform: "IOS", status: "ACTIVE", ownerId: taro.id } });
    await uploadCertificate(taro, { purpose: "SIGNING", file: smimeP12(createTestCa("Directory Mail CA"), { password: "p12-pw" }), password: "p12-pw" }, ctx);
    await startTestJobs();
    const { configuration, job } = await createConfiguration({ name: "Sales S/MIME", purposes: ["SIGNING"], groupId: taro.groupId }, admin, ctx);
    expect(await finishedJob(job)).toMatchObject({ status: "DONE", outcome: { installed: 1, removed: 0 } });
    const installs = await prisma().command.findMany({ where: { deviceId: phone.id, requestType: "InstallProfile" } });
    expect(installs).toHaveLength(1);

    await slapd.admin((c) => c.modify(`uid=taro,${PEOPLE_DN}`, [new Change({ operation: "replace", modification: new Attribute({ type: "departmentNumber", values: ["Support"] }) })]));
    const s = await syncDirectory(admin, ctx, "manual");
    expect(s).toMatchObject({ updated: 1 });
    expect((await prisma().user.findUniqueOrThrow({ where: { id: taro.id }, include: { group: true } })).group?.name).toBe("Support");
    const removals = await prisma().command.findMany({ where: { deviceId: phone.id, requestType: "RemoveProfile" } });
    expect(removals).toHaveLength(1);
    expect(await prisma().profileInstallation.count({ where: { deviceId: phone.id, configurationId: configuration.id } })).toBe(0);

    // Back to Sales: the profile goes on again.
    await slapd.admin((c) => c.modify(`uid=taro,${PEOPLE_DN}`, [new Change({ operation: "replace", modification: new Attribute({ type: "departmentNumber", values: ["Sales"] }) })]));
    await syncDirectory(admin, ctx, "manual");
    expect(await prisma().command.count({ where: { deviceId: phone.id, requestType: "InstallProfile" } })).toBe(2);
  });

  it("refuses to disable everybody when the directory returns nobody", async () => {
    await save({ filter: "(uid=nobody-at-all)" });
    expect(await code(syncDirectory(admin, ctx, "manual"))).toBe("directory.emptyResult");
    expect(await prisma().user.count({ where: { source: "DIRECTORY", disabled: true } })).toBe(1);
    expect(await getSyncStatus()).toMatchObject({ runningSince: null, lastResult: { ok: false, error: "directory.emptyResult" } });
    const ev = await prisma().auditEvent.findFirstOrThrow({ where: { action: "directory.sync" }, orderBy: { id: "desc" } });
    expect(ev.result).toBe("FAILURE");
    await save();
  });

  it("directory users cannot change their password in Mamori", async () => {
    const taro = await prisma().user.findUniqueOrThrow({ where: { username: "taro" } });
    const local = await prisma().user.findUniqueOrThrow({ where: { email: "local.admin@example.jp" } });
    expect(canChangePassword(taro)).toBe(false);
    expect(canChangePassword(local)).toBe(true);
    expect(() => assertCanChangePassword(taro)).toThrow(expect.objectContaining({ code: "password.directoryManaged" }));
  });
});

describe("sign-in of directory users", () => {
  const login = (email: string, password: string, ip = "192.0.2.60") => attemptLogin({ email, password, ip, userAgent: "vitest" });

  beforeEach(async () => {
    await prisma().rateLimit.deleteMany();
  });

  it("signs in with the directory password, by email or by username", async () => {
    const byEmail = await login("taro.yamada@example.jp", TARO.password);
    expect(byEmail).toMatchObject({ email: "taro.yamada@example.jp", role: "END_USER" });
    const byName = await login("  TARO ", TARO.password);
    expect(byName.id).toBe(byEmail.id);
    const ev = await prisma().auditEvent.findFirstOrThrow({ where: { action: "auth.login" }, orderBy: { id: "desc" } });
    expect(ev).toMatchObject({ result: "SUCCESS", actorId: byEmail.id });
  });

  it("over ldaps:// and StartTLS too", async () => {
    await save({ url: slapd.ldapsUrl, caPem: slapd.caPem });
    expect((await login("taro", TARO.password)).email).toBe("taro.yamada@example.jp");
    await save({ startTls: true, caPem: slapd.caPem });
    expect((await login("taro", TARO.password)).email).toBe("taro.yamada@example.jp");
    await save();
  });

  it("refuses a wrong or empty password (never an anonymous bind) and audits why", async () => {
    expect(await code(login("taro", "not-the-password"))).toBe("login.invalid");
    expect(await code(login("taro", ""))).toBe("login.invalid");
    const reasons = (await prisma().auditEvent.findMany({ where: { action: "auth.login", result: "FAILURE" }, orderBy: { id: "desc" }, take: 2 })).map((e) => (e.details as { reason: string }).reason);
    expect(reasons).toEqual(["wrongPassword", "wrongPassword"]);
  });

  it("a stale Mamori password hash never signs a directory user in", async () => {
    await prisma().user.update({ where: { username: "hanako" }, data: { passwordHash: await hashPassword("mamori-side-password") } });
    expect(await code(login("hanako", "mamori-side-password"))).toBe("login.invalid");
    expect((await login("hanako", HANAKO.password)).email).toBe("hanako@example.jp");
  });

  it("a user disabled in the directory cannot sign in, before and after the sync", async () => {
    // user0002 has employeeType=disabled, which the filter excludes; take away its Mamori flag.
    await prisma().user.update({ where: { username: "user0002" }, data: { disabled: false, directoryMissingAt: null } });
    expect(await code(login("user0002", "pw-user0002"))).toBe("login.invalid");
    const ev = await prisma().auditEvent.findFirstOrThrow({ where: { action: "auth.login" }, orderBy: { id: "desc" } });
    expect(ev.details).toMatchObject({ reason: "notInDirectory" });
    await syncDirectory(admin, ctx, "manual");
    expect((await prisma().user.findUniqueOrThrow({ where: { username: "user0002" } })).disabled).toBe(true);
    expect(await code(login("user0002", "pw-user0002"))).toBe("login.invalid");
  });

  it("counts username and email tries against the same account limit", async () => {
    for (let i = 0; i < 3; i++) await code(login("user0003", "wrong", `192.0.2.${70 + i}`));
    for (let i = 0; i < 2; i++) await code(login("user0003@example.jp", "wrong", `192.0.2.${80 + i}`));
    expect(await code(login("user0003", "pw-user0003", "192.0.2.90"))).toBe("login.rateLimited");
  });

  it("says the directory is unavailable when it cannot be reached", async () => {
    await save({ url: "ldap://127.0.0.1:1" });
    expect(await code(login("taro", TARO.password))).toBe("login.directoryUnavailable");
    await save();
  });

  it("local users still sign in with their Mamori password", async () => {
    expect((await login("local.admin@example.jp", "local-admin-password")).role).toBe("ADMIN");
  });
});

describe("scheduled sync", () => {
  it("is the directory-sync job, ticking every minute", async () => {
    expect(definedJobs().get("directory-sync")).toMatchObject({ cron: "* * * * *", policy: "singleton" });
  });

  it("runs only when enabled and due; two ticks at once sync once", async () => {
    await save({ syncEnabled: false });
    expect(await runScheduledSync(new Date())).toBe("off");
    await save({ syncEnabled: true, syncIntervalMinutes: 5 });
    await slapd.admin((c) => c.add(`uid=jiro,${PEOPLE_DN}`, { objectClass: "inetOrgPerson", uid: "jiro", cn: "Jiro Suzuki", sn: "Suzuki", mail: "jiro@example.jp", userPassword: "jiro-pw" }));

    const before = await prisma().auditEvent.count({ where: { action: "directory.sync" } });
    // Well past the last manual sync's start: due.
    const later = new Date(Date.now() + 10 * 60_000);
    // The queue runs one at a time; should two ever overlap, the claim row lets one sync.
    const outcomes = await Promise.all([runScheduledSync(later), runScheduledSync(later)]);
    expect(outcomes.sort()).toEqual(["notDue", "ran"]);
    const runs = await prisma().auditEvent.findMany({ where: { action: "directory.sync" }, orderBy: { id: "asc" } });
    expect(runs.length - before).toBe(1);
    expect(runs.at(-1)!.details).toMatchObject({ trigger: "scheduled", created: 1 });
    expect(await prisma().user.count({ where: { username: "jiro" } })).toBe(1);
    // Not due again within the interval.
    expect(await runScheduledSync(new Date(later.getTime() + 60_000))).toBe("notDue");
    expect(await runScheduledSync(new Date(later.getTime() + 6 * 60_000))).toBe("ran");
  });

  it("Import now queues a directory-sync job that syncs and records the outcome", async () => {
    await startTestJobs();
    await slapd.admin((c) => c.add(`uid=saburo,${PEOPLE_DN}`, { objectClass: "inetOrgPerson", uid: "saburo", cn: "Saburo Sato", sn: "Sato", mail: "saburo@example.jp", userPassword: "saburo-pw" }));
    const job = await startDirectoryImport(admin, ctx);
    expect(job).toMatchObject({ kind: "directory-sync", status: "QUEUED", actorLabel: admin.label });
    const row = await finishedJob(job);
    expect(row).toMatchObject({ status: "DONE", outcome: { created: 1 } });
    expect(await prisma().user.count({ where: { username: "saburo" } })).toBe(1);
    const [event] = await prisma().auditEvent.findMany({ where: { action: "directory.sync" }, orderBy: { id: "desc" }, take: 1 });
    expect(event).toMatchObject({ actorLabel: admin.label, details: { trigger: "manual", created: 1 } });
  });

  it("a sync already running makes another refuse, not run twice", async () => {
    const { claimSync } = await import("@/lib/directory/config");
    expect(await claimSync(new Date(), "manual")).toBe(true);
    expect(await code(syncDirectory(admin, ctx, "manual"))).toBe("directory.syncRunning");
    // A claim older than the stale limit is taken over.
    expect(await claimSync(new Date(Date.now() + 31 * 60_000), "manual")).toBe(true);
    const { finishSync } = await import("@/lib/directory/config");
    await finishSync(new Date(), null);
  });
});

// Keeps the LDIF helper honest for the e2e spec, which adds users the same way.
it("userLdif writes an inetOrgPerson entry", () => {
  const ldif = userLdif({ uid: "x", cn: "X Y", mail: "x@example.jp", password: "p" });
  expect(ldif).toContain(`dn: uid=x,${PEOPLE_DN}`);
  expect(ldif).toContain("objectClass: inetOrgPerson");
});
