import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { createEnrollment, redeemProfileToken, consumeChallenge } from "@/lib/enrollment/service";
import { deviceCa } from "@/lib/pki/device-ca";
import { createCa, issueCertificate } from "@/lib/pki/ca";
import { signData } from "@/lib/pki/cms";
import { buildPlist } from "@/lib/mdm/plist";
import { identifyDevice, type DeviceIdentity } from "@/lib/mdm/identity";
import { handleCheckin, handleConnect, unlockToken } from "@/lib/mdm/service";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import { afterEnroll } from "@/lib/enrollment/after-enroll";
import { runDeviceAction } from "@/lib/devices/actions";

useOwnDatabase();

// The check-in service against a real database, with identities issued by the real device CA.

const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const TOPIC = "com.apple.mgmt.External.6bd7e4a1-8a7c-4a8e-9f6b-2f5d1c3e4b5a";


/** What SCEP would give a device for a fresh enrollment. */
async function newIdentity(cn?: string) {
  const e = await createEnrollment({}, actor, ctx);
  const { challenge } = await redeemProfileToken(e.profileToken);
  expect(await consumeChallenge(challenge, e.id)).toBe(e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certPem = issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", cn ?? e.id], ["O", "Mamori"]], days: 30 });
  return { certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), enrollmentId: e.id };
}

function request(body: Record<string, unknown>, signer: { certPem: string; keyPem: string }) {
  const raw = Buffer.from(buildPlist(body as never));
  const headers = new Headers({ "mdm-signature": signData(raw, signer, { detached: true }).toString("base64") });
  return { raw, headers };
}

async function checkin(body: Record<string, unknown>, signer: { certPem: string; keyPem: string }) {
  const { raw, headers } = request(body, signer);
  return handleCheckin(raw, await identifyDevice(headers, raw));
}

describe("check-in", () => {
  it("binds a device at Authenticate and activates it at TokenUpdate", async () => {
    const id = await newIdentity();
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "UDID-1", SerialNumber: "F2LXJ1", ProductName: "iPhone16,2", OSVersion: "18.1" }, id);
    let d = await prisma().device.findUniqueOrThrow({ where: { udid: "UDID-1" } });
    expect(d).toMatchObject({ status: "ENROLLING", platform: "IOS", enrollmentId: id.enrollmentId, serialNumber: "F2LXJ1" });
    await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "UDID-1", Token: Buffer.from("ab".repeat(32), "hex"), PushMagic: "PM-1", UnlockToken: Buffer.from("secret-unlock") }, id);
    d = await prisma().device.findUniqueOrThrow({ where: { udid: "UDID-1" } });
    expect(d).toMatchObject({ status: "ACTIVE", pushToken: "ab".repeat(32), pushMagic: "PM-1" });
    expect(d.unlockTokenSealed).not.toContain("secret-unlock");
    expect(unlockToken(d)?.toString()).toBe("secret-unlock");
    // What follows an enrollment is a job, not part of the device's request.
    expect(await prisma().command.count({ where: { deviceId: d.id } })).toBe(0);
    const at = new Date().toISOString();
    await afterEnroll({ deviceId: d.id, awaitingConfiguration: false, at });
    await afterEnroll({ deviceId: d.id, awaitingConfiguration: false, at });
    expect((await prisma().command.findMany({ where: { deviceId: d.id }, orderBy: { seq: "asc" } })).map((c) => c.requestType)).toEqual(["DeviceInformation", "SecurityInfo"]);
  });

  it("keeps a macOS user channel apart from the device channel", async () => {
    const id = await newIdentity();
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "MAC-1", ProductName: "Mac15,6", Model: "Mac15,6", DeviceName: "Mac" }, id);
    await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "MAC-1", Token: Buffer.from("cd".repeat(32), "hex"), PushMagic: "PM-D" }, id);
    await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "MAC-1", UserID: "A1B2-USER", UserShortName: "hanako", UserLongName: "Hanako Sato", Token: Buffer.from("ef".repeat(32), "hex"), PushMagic: "PM-U", NotOnConsole: false }, id);
    const d = await prisma().device.findUniqueOrThrow({ where: { udid: "MAC-1" }, include: { users: true } });
    expect(d).toMatchObject({ platform: "MACOS", pushMagic: "PM-D" });
    expect(d.users).toMatchObject([{ userGuid: "A1B2-USER", shortName: "hanako", pushMagic: "PM-U" }]);
  });

  it("escrows and returns the bootstrap token, sealed at rest", async () => {
    const id = await newIdentity();
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "MAC-2", ProductName: "Mac15,6" }, id);
    await checkin({ MessageType: "SetBootstrapToken", UDID: "MAC-2", BootstrapToken: Buffer.from("bootstrap!"), AwaitingConfiguration: false }, id);
    const row = await prisma().device.findUniqueOrThrow({ where: { udid: "MAC-2" } });
    expect(row.bootstrapTokenSealed).not.toContain("bootstrap!");
    const got = await checkin({ MessageType: "GetBootstrapToken", UDID: "MAC-2", AwaitingConfiguration: false }, id);
    expect(got.body).toContain(Buffer.from("bootstrap!").toString("base64"));
  });

  it("refuses what it does not support, a certificate of another device, and one from another CA", async () => {
    const a = await newIdentity();
    const b = await newIdentity();
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "A", ProductName: "iPhone16,2" }, a);
    await expect(checkin({ MessageType: "DeclarativeManagement", UDID: "A", Endpoint: "tokens" }, a)).rejects.toMatchObject({ code: "mdm.unsupportedMessage" });
    await expect(checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "A", Token: Buffer.alloc(32, 1), PushMagic: "x" }, b)).rejects.toMatchObject({ code: "mdm.identityMismatch" });
    const other = createCa({ commonName: "Other CA", years: 1 });
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const foreign = { certPem: issueCertificate(other, { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", a.enrollmentId]], days: 1 }), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
    await expect(checkin({ MessageType: "CheckOut", Topic: TOPIC, UDID: "A" }, foreign)).rejects.toMatchObject({ code: "mdm.foreignCertificate" });
    const unbound = await newIdentity("00000000-0000-4000-8000-000000000000");
    await expect(checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "Z", ProductName: "iPhone16,2" }, unbound)).rejects.toMatchObject({ code: "mdm.unknownEnrollment" });
  });

  it("re-enrollment of the same device replaces its record and keeps its command history", async () => {
    const first = await newIdentity();
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "RE-1", ProductName: "iPhone16,2" }, first);
    await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "RE-1", Token: Buffer.alloc(32, 2), PushMagic: "old" }, first);
    const before = await prisma().device.findUniqueOrThrow({ where: { udid: "RE-1" } });
    await enqueueCommand(before.id, { requestType: "ProfileList", command: { RequestType: "ProfileList" } }, { actor, push: false });
    const second = await newIdentity();
    await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "RE-1", ProductName: "iPhone16,2" }, second);
    await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "RE-1", Token: Buffer.alloc(32, 3), PushMagic: "new" }, second);
    const after = await prisma().device.findUniqueOrThrow({ where: { udid: "RE-1" } });
    expect(after.id).toBe(before.id);
    expect(after).toMatchObject({ enrollmentId: second.enrollmentId, pushMagic: "new", status: "ACTIVE" });
    expect(await prisma().command.count({ where: { deviceId: after.id } })).toBe(1);
    // The old identity no longer speaks for the device.
    await expect(checkin({ MessageType: "CheckOut", Topic: TOPIC, UDID: "RE-1" }, first)).rejects.toMatchObject({ code: "mdm.identityMismatch" });
    const removal = await enqueueCommand(after.id, { requestType: "RemoveProfile", command: { RequestType: "RemoveProfile", Identifier: "jp.mamori.enrollment.x" } }, { actor, push: false });
    await checkin({ MessageType: "CheckOut", Topic: TOPIC, UDID: "RE-1" }, second);
    expect((await prisma().device.findUniqueOrThrow({ where: { udid: "RE-1" } })).status).toBe("RETIRED");
    expect((await prisma().command.findUniqueOrThrow({ where: { id: removal.id } })).status).toBe("ACKNOWLEDGED");
  });
});

describe("identity from a TLS-terminating proxy", () => {
  it("is used only when a proxy is trusted and the header is configured", async () => {
    const id = await newIdentity();
    const raw = Buffer.from("<plist/>");
    const headers = new Headers({ "x-ssl-client-cert": encodeURIComponent(id.certPem) });
    process.env.MAMORI_CLIENT_CERT_HEADER = "x-ssl-client-cert";
    await expect(identifyDevice(headers, raw)).rejects.toMatchObject({ code: "mdm.noIdentity" });
    process.env.MAMORI_TRUSTED_PROXIES = "1";
    const identity: DeviceIdentity = await identifyDevice(headers, raw);
    expect(identity.enrollmentId).toBe(id.enrollmentId);
    delete process.env.MAMORI_CLIENT_CERT_HEADER;
    delete process.env.MAMORI_TRUSTED_PROXIES;
  });

  it("refuses a header that is not a readable certificate as mdm.badCertificate, not a 500 (found by tests/fuzz)", async () => {
    const id = await newIdentity();
    process.env.MAMORI_CLIENT_CERT_HEADER = "x-ssl-client-cert";
    process.env.MAMORI_TRUSTED_PROXIES = "1";
    try {
      for (const pem of [id.certPem.replace(/\n-----END/, "\n-----ENDX"), id.certPem.replace(/[A-Za-z0-9+/]{8}\n/, "!!!!\n"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"]) {
        const headers = new Headers({ "x-ssl-client-cert": encodeURIComponent(pem) });
        await expect(identifyDevice(headers, Buffer.from("<plist/>"))).rejects.toMatchObject({ name: "UserError", code: "mdm.badCertificate" });
      }
    } finally {
      delete process.env.MAMORI_CLIENT_CERT_HEADER;
      delete process.env.MAMORI_TRUSTED_PROXIES;
    }
  });
});

/** An enrolled iPhone (Authenticate, TokenUpdate) and a connect that speaks as it. */
async function enrolledIphone(udid: string, tokenByte: number) {
  const id = await newIdentity();
  await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: udid, ProductName: "iPhone16,2" }, id);
  await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: udid, Token: Buffer.alloc(32, tokenByte), PushMagic: "pm" }, id);
  return async (body: Record<string, unknown>) => {
    const { raw, headers } = request(body, id);
    return handleConnect(raw, await identifyDevice(headers, raw));
  };
}

describe("connect", () => {
  it("stores DeviceInformation in the inventory and EraseDevice marks the device wiped", async () => {
    const connect = await enrolledIphone("INV-1", 4);
    await afterEnroll({ deviceId: (await prisma().device.findUniqueOrThrow({ where: { udid: "INV-1" } })).id, awaitingConfiguration: false, at: new Date().toISOString() });
    const first = await connect({ Status: "Idle", UDID: "INV-1" });
    const uuid = /<key>CommandUUID<\/key>\s*<string>([^<]+)</.exec(first.body!)![1]!;
    expect(first.body).toContain("DeviceInformation");
    await connect({ Status: "Acknowledged", UDID: "INV-1", CommandUUID: uuid, QueryResponses: { DeviceName: "営業部の iPhone", OSVersion: "18.1.1", DeviceCapacity: 128, BatteryLevel: 0.5, IsSupervised: false, PhoneNumber: "+81 80 0000 0000" } });
    const d = await prisma().device.findUniqueOrThrow({ where: { udid: "INV-1" } });
    expect(d).toMatchObject({ name: "営業部の iPhone", osVersion: "18.1.1", capacityGb: 128, supervised: false, phoneNumber: "+81 80 0000 0000" });
    // The answer itself lives in the inventory, not in the device row.
    const inv = await prisma().deviceInventory.findUniqueOrThrow({ where: { deviceId_kind: { deviceId: d.id, kind: "deviceInformation" } } });
    expect(inv.data).toMatchObject({ name: "営業部の iPhone", batteryLevel: 0.5 });
    const erase = await enqueueCommand(d.id, { requestType: "EraseDevice", command: { RequestType: "EraseDevice" } }, { actor, push: false });
    let next = await connect({ Status: "Idle", UDID: "INV-1" });
    while (next.body && !next.body.includes(erase.id)) {
      const u = /<key>CommandUUID<\/key>\s*<string>([^<]+)</.exec(next.body)![1]!;
      next = await connect({ Status: "Acknowledged", UDID: "INV-1", CommandUUID: u });
    }
    await connect({ Status: "Acknowledged", UDID: "INV-1", CommandUUID: erase.id });
    expect((await prisma().device.findUniqueOrThrow({ where: { udid: "INV-1" } })).status).toBe("WIPED");
  });

  it("rename: the name the device confirms is kept; a setting it refuses is the command's error", async () => {
    const connect = await enrolledIphone("REN-1", 5);
    const device = await prisma().device.update({ where: { udid: "REN-1" }, data: { name: "iPhone", supervised: false } });
    // An unsupervised iPhone ignores DeviceName: refused before anything is queued.
    await expect(runDeviceAction(device.id, "rename", { deviceName: "営業部 田中" }, actor, ctx)).rejects.toMatchObject({ code: "device.unavailable.supervisedOnly" });
    await prisma().device.update({ where: { id: device.id }, data: { supervised: true } });
    await expect(runDeviceAction(device.id, "rename", { deviceName: "  " }, actor, ctx)).rejects.toMatchObject({ code: "mdm.deviceNameRequired" });
    expect(await prisma().command.count({ where: { deviceId: device.id } })).toBe(0);

    const sent = await runDeviceAction(device.id, "rename", { deviceName: " 営業部 田中の iPhone " }, actor, ctx);
    const first = await connect({ Status: "Idle", UDID: "REN-1" });
    expect(first.body).toContain(sent.commands[0]!.id);
    expect(first.body).toMatch(/<key>Item<\/key>\s*<string>DeviceName<\/string>\s*<key>DeviceName<\/key>\s*<string>営業部 田中の iPhone<\/string>/);
    // Until the device confirms, the page shows the old name.
    expect((await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).name).toBe("iPhone");
    await connect({ Status: "Acknowledged", UDID: "REN-1", CommandUUID: sent.commands[0]!.id, Settings: [{ Status: "Acknowledged" }] });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).name).toBe("営業部 田中の iPhone");
    const audit = await prisma().auditEvent.findFirstOrThrow({ where: { targetId: device.id, action: "device.rename" } });
    expect(audit.details).toMatchObject({ from: "iPhone", to: "営業部 田中の iPhone", commands: ["Settings"] });

    const refused = await runDeviceAction(device.id, "rename", { deviceName: "別の名前" }, actor, ctx);
    await connect({ Status: "Idle", UDID: "REN-1" });
    await connect({
      Status: "Acknowledged", UDID: "REN-1", CommandUUID: refused.commands[0]!.id,
      Settings: [{ Status: "Error", ErrorChain: [{ ErrorCode: 12081, ErrorDomain: "MCMDMErrorDomain", LocalizedDescription: "デバイス名を変更できません", USEnglishDescription: "Cannot set the device name" }] }],
    });
    const row = await prisma().command.findUniqueOrThrow({ where: { id: refused.commands[0]!.id } });
    expect(row.status).toBe("ERROR");
    expect(row.errorChain).toEqual([{ code: 12081, domain: "MCMDMErrorDomain", description: "デバイス名を変更できません", usEnglishDescription: "Cannot set the device name" }]);
    expect((await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).name).toBe("営業部 田中の iPhone");

    // Apple marks the per-item answer optional: an acknowledgement without it is taken as done.
    const bare = await runDeviceAction(device.id, "rename", { deviceName: "田中の iPhone" }, actor, ctx);
    await connect({ Status: "Idle", UDID: "REN-1" });
    await connect({ Status: "Acknowledged", UDID: "REN-1", CommandUUID: bare.commands[0]!.id });
    expect((await prisma().command.findUniqueOrThrow({ where: { id: bare.commands[0]!.id } })).status).toBe("ACKNOWLEDGED");
    expect((await prisma().device.findUniqueOrThrow({ where: { id: device.id } })).name).toBe("田中の iPhone");
  });
});
