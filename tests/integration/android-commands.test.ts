import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { startFakeAmapi, type FakeAmapi } from "../support/fake-amapi";
import { prisma } from "@/lib/db/client";
import { createAndroidEnrollment, saveAndroidSettings } from "@/lib/android/service";
import { syncAndroidDevices } from "@/lib/android/sync";
import { carryOutAndroidCommand, queueAndroidCommand } from "@/lib/android/commands";
import { applyOperation } from "@/lib/android/operations";
import { runDeviceAction } from "@/lib/devices/actions";
import { errorChainText } from "@/lib/mdm/results";
import { stopJobs } from "@/lib/jobs/queue";

// Android remote actions through the Android Management API: each command from the queue to
// Google's answer, against the strict fake of Google (tests/support/fake-amapi.ts) over HTTP,
// with the real job code on the real database. The job's turns are taken here one by one (its
// pg-boss scheduling is the engine's, tested in tests/integration/jobs.test.ts); the e2e suite
// runs them through the server's own workers.

useOwnDatabase();

const ENTERPRISE = "enterprises/LC00cmd001";
const POLICY = `${ENTERPRISE}/policies/default`;
const ctx = { ip: "192.0.2.8", userAgent: "vitest" };
const admin = { id: randomUUID(), label: "admin@example.jp" };
const EMAIL = "mamori@mamori-cmd.iam.gserviceaccount.com";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keyJson = JSON.stringify({ type: "service_account", project_id: "mamori-cmd", private_key_id: "k1", private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: EMAIL });

let fake: FakeAmapi;
const saved = { AMAPI_URL: process.env.AMAPI_URL, GOOGLE_OAUTH_TOKEN_URL: process.env.GOOGLE_OAUTH_TOKEN_URL };
const ids: Record<string, string> = {};

async function enrolled(serial: string, hw: Omit<Parameters<FakeAmapi["enroll"]>[1], "serialNumber">) {
  const user = await prisma().user.create({ data: { email: `${serial.toLowerCase()}@example.jp`, displayName: serial, role: "END_USER" } });
  const t = await createAndroidEnrollment(user.id, admin, ctx);
  fake.enroll(t.value, { ...hw, serialNumber: serial });
}

beforeAll(async () => {
  fake = await startFakeAmapi({ serviceAccounts: [{ clientEmail: EMAIL, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() }], enterprises: [{ name: ENTERPRISE, displayName: "Cmd K.K.", policies: [POLICY] }] });
  process.env.AMAPI_URL = fake.url;
  process.env.GOOGLE_OAUTH_TOKEN_URL = fake.tokenUrl;
  await saveAndroidSettings({ enterpriseName: ENTERPRISE, policyName: POLICY, keyJson }, admin, ctx);
  await enrolled("FULLY1", { managementMode: "DEVICE_OWNER", ownership: "COMPANY_OWNED", androidVersion: "14" });
  await enrolled("WORK1", { managementMode: "PROFILE_OWNER", ownership: "PERSONALLY_OWNED", androidVersion: "14" });
  await enrolled("FULLY2", { managementMode: "DEVICE_OWNER", ownership: "COMPANY_OWNED", androidVersion: "13" });
  await syncAndroidDevices();
  for (const d of await prisma().device.findMany({ where: { platform: "ANDROID" } })) ids[d.serialNumber!] = d.id;
});

afterAll(async () => {
  await stopJobs();
  await fake.close();
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
});

const row = (id: string) => prisma().command.findUniqueOrThrow({ where: { id } });

/** Issue, then follow the operation, as the job's turns would. */
async function runToEnd(id: string): Promise<string[]> {
  const turns: string[] = [];
  for (let step = 0; step < 6; step++) {
    const r = await carryOutAndroidCommand(id, step);
    turns.push(r);
    if (!["issued", "following", "retry"].includes(r)) break;
  }
  return turns;
}

describe("the sync knows each device's management mode", () => {
  it("fully managed and company-owned, or a personal phone's work profile", async () => {
    const d = await prisma().device.findMany({ where: { platform: "ANDROID" }, orderBy: { serialNumber: "asc" } });
    expect(d.map((x) => [x.serialNumber, x.androidManagementMode, x.androidOwnership, x.lostMode])).toEqual([
      ["FULLY1", "DEVICE_OWNER", "COMPANY_OWNED", false], ["FULLY2", "DEVICE_OWNER", "COMPANY_OWNED", false], ["WORK1", "PROFILE_OWNER", "PERSONALLY_OWNED", false],
    ]);
  });
});

describe("commands", () => {
  it("lock: queued, sent to Google, done when the operation is", async () => {
    const c = await queueAndroidCommand(ids.FULLY1!, "LOCK", {}, admin, ctx);
    expect(c).toMatchObject({ status: "QUEUED", requestType: "LOCK" });
    expect(await runToEnd(c.id)).toEqual(["issued", "done"]);
    const done = await row(c.id);
    expect(done.status).toBe("ACKNOWLEDGED");
    expect(done.amapiOperation).toMatch(new RegExp(`^${ENTERPRISE}/devices/\\w+/operations/\\w+$`));
    expect(fake.commands.at(-1)!.body).toEqual({ type: "LOCK" });
  });

  it("a new passcode: sealed until sent, gone after; Google gets it once", async () => {
    const c = await queueAndroidCommand(ids.WORK1!, "RESET_PASSWORD", { newPassword: "hx7k-29mp" }, admin, ctx);
    const queued = await row(c.id);
    expect(JSON.stringify(queued.payload)).not.toContain("hx7k-29mp");
    expect(queued.sealedBody).not.toBeNull();
    expect(queued.sealedBody).not.toContain("hx7k");
    expect(await runToEnd(c.id)).toEqual(["issued", "done"]);
    expect(fake.commands.at(-1)!.body).toEqual({ type: "RESET_PASSWORD", newPassword: "hx7k-29mp" });
    const done = await row(c.id);
    expect(done.sealedBody).toBeNull();
    expect(done.status).toBe("ACKNOWLEDGED");
  });

  it("lost mode on and off: Google's parameters as UserFacingMessages, and the device is in lost mode", async () => {
    const on = await queueAndroidCommand(ids.FULLY1!, "START_LOST_MODE", { lostMessage: "拾った方はご連絡ください", lostPhoneNumber: "03-0000-0000", lostEmailAddress: "it@example.jp", lostOrganization: "Example K.K." }, admin, ctx);
    await runToEnd(on.id);
    expect(fake.commands.at(-1)!.body).toEqual({
      type: "START_LOST_MODE",
      startLostModeParams: { lostMessage: { defaultMessage: "拾った方はご連絡ください" }, lostPhoneNumber: { defaultMessage: "03-0000-0000" }, lostEmailAddress: "it@example.jp", lostOrganization: { defaultMessage: "Example K.K." } },
    });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids.FULLY1! } })).lostMode).toBe(true);
    // The next sync reads the same from Google (state LOST).
    await syncAndroidDevices();
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids.FULLY1! } })).lostMode).toBe(true);
    const off = await queueAndroidCommand(ids.FULLY1!, "STOP_LOST_MODE", {}, admin, ctx);
    await runToEnd(off.id);
    expect(fake.commands.at(-1)!.body).toEqual({ type: "STOP_LOST_MODE", stopLostModeParams: {} });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids.FULLY1! } })).lostMode).toBe(false);
  });

  it("an operation that fails ends in ERROR with Google's reason", async () => {
    fake.operationOutcome = { code: 9, status: "FAILED_PRECONDITION", message: "The device is offline and the command timed out." };
    try {
      const c = await queueAndroidCommand(ids.FULLY2!, "REBOOT", {}, admin, ctx);
      await runToEnd(c.id);
      const r = await row(c.id);
      expect(r.status).toBe("ERROR");
      expect(errorChainText(r.errorChain)).toBe("The device is offline and the command timed out. (Google FAILED_PRECONDITION 9)");
    } finally {
      fake.operationOutcome = "succeed";
    }
  });

  it("Google's refusal (reboot on a work profile) is the command's error, not retried", async () => {
    const c = await queueAndroidCommand(ids.WORK1!, "REBOOT", {}, admin, ctx);
    expect(await runToEnd(c.id)).toEqual(["failed"]);
    const r = await row(c.id);
    expect(r.status).toBe("ERROR");
    expect(errorChainText(r.errorChain)).toContain("Reboot is supported only on fully managed devices.");
    expect(await prisma().auditEvent.count({ where: { action: "android.command", result: "FAILURE", targetId: ids.WORK1! } })).toBe(1);
  });

  it("quota exceeded (429): back to the queue and tried again; Google runs it once", async () => {
    const before = fake.commands.length;
    fake.quotaExceeded = 2;
    const c = await queueAndroidCommand(ids.FULLY2!, "LOCK", {}, admin, ctx);
    expect(await runToEnd(c.id)).toEqual(["retry", "retry", "issued", "done"]);
    expect(fake.commands.length - before).toBe(1);
    expect((await row(c.id)).status).toBe("ACKNOWLEDGED");
  });

  it("an operation that never ends stays SENT, and expires with the command", async () => {
    fake.operationOutcome = "never";
    try {
      const c = await queueAndroidCommand(ids.FULLY2!, "LOCK", {}, admin, ctx, 1);
      expect(await carryOutAndroidCommand(c.id, 0)).toBe("issued");
      expect(await carryOutAndroidCommand(c.id, 1)).toBe("following");
      expect((await row(c.id)).status).toBe("SENT");
      expect(await carryOutAndroidCommand(c.id, 2, new Date(Date.now() + 2 * 3_600_000))).toBe("expired");
      expect((await row(c.id)).status).toBe("EXPIRED");
    } finally {
      fake.operationOutcome = "succeed";
    }
  });

  it("two workers on one command: Google gets it once", async () => {
    const before = fake.commands.length;
    const c = await queueAndroidCommand(ids.FULLY2!, "LOCK", {}, admin, ctx);
    const turns = await Promise.all([carryOutAndroidCommand(c.id, 0), carryOutAndroidCommand(c.id, 0)]);
    expect(turns.sort()).toEqual(["issued", "taken"]);
    expect(fake.commands.length - before).toBe(1);
  });

  it("a COMMAND notification and the job's own look end it once, whichever comes first", async () => {
    fake.operationOutcome = "never";
    const c = await queueAndroidCommand(ids.FULLY2!, "LOCK", {}, admin, ctx);
    await carryOutAndroidCommand(c.id, 0);
    fake.operationOutcome = "succeed";
    const op = (await row(c.id)).amapiOperation!;
    expect(await applyOperation({ name: op, done: false })).toBe(true);
    expect((await row(c.id)).status).toBe("SENT");
    expect(await applyOperation({ name: op, done: true, response: { ok: true } })).toBe(true);
    expect(await applyOperation({ name: op, done: true, error: { code: 13, message: "late" } })).toBe(true);
    expect(await row(c.id)).toMatchObject({ status: "ACKNOWLEDGED", errorChain: null });
    expect(await applyOperation({ name: `${ENTERPRISE}/devices/none/operations/x`, done: true })).toBe(false);
  });

  it("wipe (devices.delete) keeps factory reset protection unless told otherwise; the device is wiped", async () => {
    const c = await queueAndroidCommand(ids.FULLY2!, "DELETE", { purpose: "wipe", wipeDataFlags: ["PRESERVE_RESET_PROTECTION_DATA"] }, admin, ctx);
    const name = (await prisma().device.findUniqueOrThrow({ where: { id: ids.FULLY2! } })).amapiName!;
    expect(await runToEnd(c.id)).toEqual(["done"]);
    expect(fake.deletions.at(-1)).toEqual({ name, wipeDataFlags: ["PRESERVE_RESET_PROTECTION_DATA"], wipeReasonMessage: null });
    expect((await row(c.id)).status).toBe("ACKNOWLEDGED");
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids.FULLY2! } })).status).toBe("WIPED");
    // Gone at Google: a further command ends in ERROR with a clear reason.
    await prisma().device.update({ where: { id: ids.FULLY2! }, data: { status: "ACTIVE" } });
    const late = await queueAndroidCommand(ids.FULLY2!, "LOCK", {}, admin, ctx);
    expect(await runToEnd(late.id)).toEqual(["failed"]);
    expect(errorChainText((await row(late.id)).errorChain)).toBe("The device no longer exists in Google's Android Management API. (Google NOT_FOUND 404)");
  });
});

describe("through the action table", () => {
  it("retire of a work profile removes it at Google; a new passcode is shown once", async () => {
    const reset = await runDeviceAction(ids.WORK1!, "clearPasscode", {}, admin, ctx);
    expect(reset.secret).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(reset.commands[0]!.requestType).toBe("RESET_PASSWORD");
    const retire = await runDeviceAction(ids.WORK1!, "retire", {}, admin, ctx);
    expect(retire.commands[0]!.requestType).toBe("DELETE");
    await runToEnd(reset.commands[0]!.id);
    await runToEnd(retire.commands[0]!.id);
    expect((await row(reset.commands[0]!.id)).status).toBe("ACKNOWLEDGED");
    expect((await row(retire.commands[0]!.id)).status).toBe("ACKNOWLEDGED");
    expect(fake.commands.at(-1)!.body).toEqual({ type: "RESET_PASSWORD", newPassword: reset.secret });
    expect(fake.deletions.at(-1)).toMatchObject({ wipeDataFlags: [] });
    expect((await prisma().device.findUniqueOrThrow({ where: { id: ids.WORK1! } })).status).toBe("RETIRED");
    const audits = await prisma().auditEvent.findMany({ where: { targetId: ids.WORK1!, action: { in: ["device.clearPasscode", "device.retire"] } } });
    expect(audits).toHaveLength(2);
    expect(JSON.stringify(audits.map((a) => a.details))).not.toContain(reset.secret!);
  });

  it("what the table refuses, the server refuses: wipe of a work profile, lost mode on Android 10", async () => {
    await expect(runDeviceAction(ids.FULLY1!, "retire", {}, admin, ctx)).rejects.toMatchObject({ code: "device.unavailable.fullyManaged" });
    await prisma().device.update({ where: { id: ids.FULLY1! }, data: { osVersion: "10" } });
    await expect(runDeviceAction(ids.FULLY1!, "lostModeOn", { message: "x" }, admin, ctx)).rejects.toMatchObject({ code: "device.unavailable.androidTooOld" });
    await prisma().device.update({ where: { id: ids.FULLY1! }, data: { osVersion: "14" } });
    await expect(runDeviceAction(ids.FULLY1!, "lostModeOn", {}, admin, ctx)).rejects.toMatchObject({ code: "device.lostModeNeedsContact" });
  });
});
