import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa, type TestCa } from "../support/test-ca";
import { expiredDates, p12Of, smimeIdentity, smimeP12 } from "../support/user-p12";
import { prisma } from "@/lib/db/client";
import { commandBody } from "@/lib/mdm/queue";
import { parsePlist, type PlistDict } from "@/lib/mdm/plist";
import { readPkcs12 } from "@/lib/pki/pkcs12";
import { openIdentity } from "@/lib/user-certificates/identity";
import * as certs from "@/lib/user-certificates/service";
import { ownCertificate } from "@/lib/auth/owner";
import * as configs from "@/lib/configurations/service";
import { finishedJob, startTestJobs } from "../support/jobs";

useOwnDatabase();
const ctx = { ip: "192.0.2.44", userAgent: "vitest" };
const admin = { id: null, label: "admin@example.jp" };
let ca: TestCa;
let hanako: { id: string; email: string };
let taro: { id: string; email: string };
let group: string;
let phone: string;
let oldPhone: string;
let taroPhone: string;

const commands = (deviceId: string, requestType?: string) =>
  prisma().command.findMany({ where: { deviceId, ...(requestType && { requestType }) }, orderBy: { seq: "asc" } });

/** The PKCS#12 payload of an InstallProfile command, opened with the password it carries. */
function installedIdentity(cmd: Parameters<typeof commandBody>[0]) {
  const profile = parsePlist(commandBody(cmd).Payload as Buffer) as PlistDict;
  const payload = (profile.PayloadContent as PlistDict[])[0]!;
  expect(payload.PayloadType).toBe("com.apple.security.pkcs12");
  const password = String(payload.Password);
  return { identifier: String(profile.PayloadIdentifier), password, contents: readPkcs12(payload.PayloadContent as Buffer, password, { requireKey: true }) };
}

async function device(ownerId: string, status: "ACTIVE" | "RETIRED") {
  return (await prisma().device.create({ data: { udid: randomBytes(8).toString("hex"), platform: "IOS", status, ownerId } })).id;
}

beforeAll(async () => {
  ca = createTestCa("Mamori Test Mail CA");
  group = (await prisma().userGroup.create({ data: { name: "Sales" } })).id;
  const h = await prisma().user.create({ data: { email: "hanako@example.jp", displayName: "Hanako", role: "END_USER", groupId: group } });
  const t = await prisma().user.create({ data: { email: "taro@example.jp", displayName: "Taro", role: "END_USER" } });
  hanako = { id: h.id, email: h.email };
  taro = { id: t.id, email: t.email };
  phone = await device(hanako.id, "ACTIVE");
  oldPhone = await device(hanako.id, "RETIRED");
  taroPhone = await device(taro.id, "ACTIVE");
});

describe("uploads that will not do", () => {
  const cases: Array<[string, () => { file: Buffer; password: string }, string]> = [
    ["wrong password", () => ({ file: smimeP12(ca, { password: "right" }), password: "wrong" }), "pkcs12.wrongPassword"],
    ["certificate without key", () => ({ file: smimeP12(ca, { withKey: false }), password: "secret" }), "pkcs12.noPrivateKey"],
    ["expired certificate", () => ({ file: smimeP12(ca, expiredDates), password: "secret" }), "usercert.expired"],
    ["not PKCS#12", () => ({ file: Buffer.from("-----BEGIN CERTIFICATE-----\nnot really\n"), password: "secret" }), "pkcs12.notPkcs12"],
    ["oversized", () => ({ file: Buffer.concat([smimeP12(ca), randomBytes(certs.MAX_PKCS12_BYTES)]), password: "secret" }), "pkcs12.tooLarge"],
  ];
  for (const [what, make, code] of cases) {
    it(`refuses a ${what} with ${code} and stores nothing`, async () => {
      const { file, password } = make();
      await expect(certs.uploadCertificate(hanako, { purpose: "SIGNING", file, password }, ctx)).rejects.toMatchObject({ code });
      expect(await prisma().userCertificate.count()).toBe(0);
      expect(await prisma().command.count()).toBe(0);
    });
  }
});

describe("a user's certificates", () => {
  let certId: string;
  let identifier: string;

  it("an upload is stored sealed and, with no configuration yet, pushes nothing", async () => {
    const password = "pässwörd-日本";
    const id = smimeIdentity(ca);
    const { certificate, pushed } = await certs.uploadCertificate(hanako, { purpose: "SIGNING", name: "", file: p12Of(id, ca, { password, algorithm: "3des" }), password }, ctx); // forge writes PBES2 non-ASCII passwords wrongly
    certId = certificate.id;
    expect(pushed).toBe(0);
    expect(certificate).toMatchObject({ purpose: "SIGNING", name: "Hanako Sato", issuer: "CN=Mamori Test Mail CA, O=Mamori Tests" });
    expect(await prisma().command.count()).toBe(0);
    const [raw] = await prisma().$queryRaw<Array<{ row: string }>>`SELECT row_to_json(u)::text AS row FROM user_certificates u`;
    expect(raw!.row).not.toContain(password);
    expect(raw!.row).not.toContain(JSON.stringify(id.keyPem).slice(40, 100)); // no key material in clear
    expect(raw!.row).toMatch(/"pkcs12_sealed":"v1\./);
    const stored = await prisma().userCertificate.findUniqueOrThrow({ where: { id: certId } });
    expect(openIdentity(stored).keyPem).toBeTruthy();
    const event = await prisma().auditEvent.findFirstOrThrow({ where: { action: "usercert.upload" } });
    expect(event).toMatchObject({ actorId: hanako.id, targetId: certId, ip: "192.0.2.44" });
  });

  it("a second certificate of the same purpose is refused: replace the first instead", async () => {
    await expect(certs.uploadCertificate(hanako, { purpose: "SIGNING", file: smimeP12(ca), password: "secret" }, ctx)).rejects.toMatchObject({ code: "usercert.purposeTaken" });
  });

  it("a configuration for all users installs the certificate on the owner's active devices only", async () => {
    await startTestJobs();
    const { configuration, job } = await configs.createConfiguration({ name: "S/MIME", purposes: ["SIGNING"], groupId: null }, admin, ctx);
    // The admin gets the job at once; the configuration-sync job installs.
    expect(job).toMatchObject({ kind: "configuration-sync", status: "QUEUED" });
    expect(await finishedJob(job)).toMatchObject({ status: "DONE", outcome: { installed: 1, removed: 0 } });
    const [install] = await commands(phone, "InstallProfile");
    expect(await commands(oldPhone)).toHaveLength(0);
    expect(await commands(taroPhone)).toHaveLength(0); // Taro has no certificate
    const opened = installedIdentity(install!);
    identifier = opened.identifier;
    expect(identifier).toBe(configs.profileIdentifier(configuration.id, "SIGNING"));
    expect(opened.password).not.toBe("pässwörd-日本"); // a fresh password per profile
    expect(opened.contents.cert.subject).toContain("Hanako Sato");
    expect(install!.payload).toMatchObject({ Payload: "[sealed]" });
  });

  it("a replacement re-pushes the profile with the new certificate; a rename does not", async () => {
    const before = (await commands(phone, "InstallProfile")).length;
    // A NUL (found by tests/fuzz) is dropped: PostgreSQL text cannot hold one.
    await certs.editCertificate(hanako, certId, { name: "Work\u0000 signing" }, ctx);
    expect((await certs.getCertificate(hanako.id, certId))!.name).toBe("Work signing");
    expect(await commands(phone, "InstallProfile")).toHaveLength(before);
    const fresh = smimeIdentity(ca, { cn: "Hanako Sato 2027" });
    const { certificate, pushed } = await certs.editCertificate(hanako, certId, { file: p12Of(fresh, ca, { password: "new" }), password: "new" }, ctx);
    expect(pushed).toBe(1);
    expect(certificate.name).toBe("Work signing");
    expect(certificate.serial).toBe(fresh.cert.serialNumber.toUpperCase());
    const all = await commands(phone, "InstallProfile");
    expect(all).toHaveLength(before + 1);
    const opened = installedIdentity(all.at(-1)!);
    expect(opened.identifier).toBe(identifier);
    expect(opened.contents.cert.serial).toBe(certificate.serial);
    await expect(certs.editCertificate(hanako, certId, { file: smimeP12(ca, { password: "x" }), password: "y" }, ctx)).rejects.toMatchObject({ code: "pkcs12.wrongPassword" });
    expect((await certs.getCertificate(hanako.id, certId))!.serial).toBe(certificate.serial);
  });

  it("another user can neither see nor touch it", async () => {
    expect(await certs.getCertificate(taro.id, certId)).toBeNull();
    expect(await certs.listCertificates(taro.id)).toEqual([]);
    expect(await ownCertificate(taro, certId)).toBeNull();
    await expect(certs.editCertificate(taro, certId, { name: "mine" }, ctx)).rejects.toMatchObject({ code: "usercert.notFound" });
    await expect(certs.editCertificate(taro, certId, { file: smimeP12(ca), password: "secret" }, ctx)).rejects.toMatchObject({ code: "usercert.notFound" });
    await expect(certs.clearPrivateKey(taro, certId, ctx)).rejects.toMatchObject({ code: "usercert.notFound" });
    await expect(certs.deleteCertificate(taro, certId, ctx)).rejects.toMatchObject({ code: "usercert.notFound" });
    expect((await certs.getCertificate(hanako.id, certId))!.name).toBe("Work signing");
  });

  it("a device that becomes active later receives the profile", async () => {
    const tablet = await device(hanako.id, "ACTIVE");
    expect(await configs.pushConfigurationsForDevice(tablet)).toBe(1);
    expect(installedIdentity((await commands(tablet, "InstallProfile"))[0]!).identifier).toBe(identifier);
    await prisma().device.update({ where: { id: tablet }, data: { status: "RETIRED" } });
  });

  it("clearing the private key keeps the certificate and pushes nothing", async () => {
    const before = await prisma().command.count();
    const row = await certs.clearPrivateKey(hanako, certId, ctx);
    expect(row.keyClearedAt).toBeInstanceOf(Date);
    const stored = await prisma().userCertificate.findUniqueOrThrow({ where: { id: certId } });
    expect(stored.passwordSealed).toBeNull();
    const id = openIdentity(stored);
    expect(id.keyPem).toBeNull();
    expect(id.certPem).toBe(row.certPem);
    expect(await prisma().command.count()).toBe(before);
    await expect(certs.clearPrivateKey(hanako, certId, ctx)).rejects.toMatchObject({ code: "usercert.keyAlreadyCleared" });
  });

  it("deleting sends RemoveProfile for the profile that carried it", async () => {
    const { removed } = await certs.deleteCertificate(hanako, certId, ctx);
    expect(removed).toBe(1);
    const [remove] = await commands(phone, "RemoveProfile");
    expect(remove!.payload).toMatchObject({ Identifier: identifier });
    expect(await prisma().userCertificate.count()).toBe(0);
    expect(await prisma().profileInstallation.count()).toBe(0);
    const actions = (await prisma().auditEvent.findMany({ where: { action: { startsWith: "usercert." }, result: "SUCCESS" }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["usercert.upload", "usercert.rename", "usercert.replace", "usercert.clearKey", "usercert.delete"]);
  });
});

describe("configurations", () => {
  it("retargeting to a group removes the profile from users outside it and installs it for members", async () => {
    await certs.uploadCertificate(taro, { purpose: "ENCRYPTION", file: smimeP12(ca, { cn: "Taro" }), password: "secret" }, ctx);
    const { configuration, job } = await configs.createConfiguration({ name: "Mail encryption", purposes: ["ENCRYPTION"], groupId: null }, admin, ctx);
    expect((await finishedJob(job)).outcome).toEqual({ installed: 1, removed: 0 });
    expect(await commands(taroPhone, "InstallProfile")).toHaveLength(1);
    const moved = await configs.updateConfiguration(configuration.id, { name: "Mail encryption", purposes: ["ENCRYPTION"], groupId: group }, admin, ctx);
    expect((await finishedJob(moved.job)).outcome).toEqual({ installed: 0, removed: 1 });
    expect((await commands(taroPhone, "RemoveProfile"))[0]!.payload).toMatchObject({ Identifier: configs.profileIdentifier(configuration.id, "ENCRYPTION") });
    await prisma().user.update({ where: { id: taro.id }, data: { groupId: group } });
    expect(await configs.syncConfiguration(configuration.id, admin, ctx)).toEqual({ installed: 1, removed: 0 });
    expect(await configs.syncUserConfigurations(taro.id, admin, ctx)).toEqual({ installed: 0, removed: 0 }); // already in step
    await prisma().user.update({ where: { id: taro.id }, data: { groupId: null } });
    expect(await configs.syncUserConfigurations(taro.id, admin, ctx)).toEqual({ installed: 0, removed: 1 });
    await prisma().user.update({ where: { id: taro.id }, data: { groupId: group } });
    expect(await configs.syncUserConfigurations(taro.id, admin, ctx)).toEqual({ installed: 1, removed: 0 });
    const { removed } = await configs.deleteConfiguration(configuration.id, admin, ctx);
    expect(removed).toBe(1);
    expect(await commands(taroPhone, "RemoveProfile")).toHaveLength(3);
    const actions = (await prisma().auditEvent.findMany({ where: { action: { startsWith: "configuration." } }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["configuration.create", "configuration.create", "configuration.update", "configuration.delete"]);
  });

  it("refuses bad input and changes nothing", async () => {
    const before = await prisma().configuration.count();
    await expect(configs.createConfiguration({ name: " ", purposes: ["SIGNING"], groupId: null }, admin, ctx)).rejects.toMatchObject({ code: "configuration.nameRequired" });
    await expect(configs.createConfiguration({ name: "X", purposes: [], groupId: null }, admin, ctx)).rejects.toMatchObject({ code: "configuration.purposeRequired" });
    await expect(configs.createConfiguration({ name: "X", purposes: ["SIGNING"], groupId: "00000000-0000-4000-8000-000000000000" }, admin, ctx)).rejects.toMatchObject({ code: "configuration.groupNotFound" });
    await expect(configs.createConfiguration({ name: "S/MIME", purposes: ["SIGNING"], groupId: null }, admin, ctx)).rejects.toMatchObject({ code: "configuration.nameTaken" });
    expect(await prisma().configuration.count()).toBe(before);
  });
});
