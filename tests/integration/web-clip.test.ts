import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { finishedJob, startTestJobs } from "../support/jobs";
import { COMMON_PAYLOAD_KEYS, checkDict, loadSchema, schemasIn } from "../support/apple-schema";
import { prisma } from "@/lib/db/client";
import { parsePlist, type PlistDict } from "@/lib/mdm/plist";
import { WEB_CLIP_PROFILE, saveWebClip, webClipAfterPublicUrlChange, webClipUrl } from "@/lib/portal/web-clip";
import { afterEnroll } from "@/lib/enrollment/after-enroll";
import { getSetting, saveSetting } from "@/lib/settings";
import { UserError } from "@/lib/errors";
import { translator } from "@/lib/i18n";
import { jobView } from "@/lib/jobs/view";
import { commandBody } from "@/lib/mdm/queue";

// The portal's Web Clip: refused without a valid label or a public URL (nothing changed), the
// rollout job to managed iPhones and iPads only (through bulkEnqueue: audited, pushed), the
// profile after a new enrollment, a new public URL installing it again, and the removal.

useOwnDatabase();
const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: "vitest" };
const ids: Record<string, string> = {};
const envUrl = process.env.MAMORI_PUBLIC_URL;

beforeAll(async () => {
  // The public URL comes from Settings here, so changing it can be tested.
  delete process.env.MAMORI_PUBLIC_URL;
  await startTestJobs();
  const rows = [
    ["iphone", "IOS", "ACTIVE"], ["ipad", "IOS", "INACTIVE"], ["mac", "MACOS", "ACTIVE"], ["pixel", "ANDROID", "ACTIVE"],
    ["retired", "IOS", "RETIRED"], ["wiped", "IOS", "WIPED"], ["enrolling", "IOS", "ENROLLING"], ["late", "IOS", "ENROLLING"],
  ] as const;
  for (const [key, platform, status] of rows) ids[key] = (await prisma().device.create({ data: { udid: `WEBCLIP-${key}`, name: key, platform, status } })).id;
});

afterAll(() => {
  if (envUrl === undefined) delete process.env.MAMORI_PUBLIC_URL;
  else process.env.MAMORI_PUBLIC_URL = envUrl;
});

const commandsOf = async (requestType: string) =>
  (await prisma().command.findMany({ where: { requestType }, include: { device: { select: { name: true } } }, orderBy: { seq: "asc" } })).map((c) => ({ device: c.device.name, payload: commandBody(c) }));

async function refusedWith(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

/** Nothing saved, queued, started or audited. */
async function nothingChanged() {
  expect(await getSetting("webClip")).toEqual({ enabled: false, label: "Mamori" });
  expect(await prisma().setting.count({ where: { key: "webClip" } })).toBe(0);
  expect(await prisma().command.count()).toBe(0);
  expect(await prisma().job.count({ where: { kind: "web-clip" } })).toBe(0);
  expect(await prisma().auditEvent.count({ where: { OR: [{ targetId: "webClip" }, { action: "webClip.rollout" }] } })).toBe(0);
}

describe("the portal's Web Clip", () => {
  it("refuses a bad label beside its field, with a sentence in both languages, and changes nothing", async () => {
    await saveSetting("general", { publicUrl: "https://mdm.example.jp" }, admin, ctx);
    for (const label of ["", "   ", "x".repeat(31), "a\u0007b"]) {
      const e = await refusedWith(saveWebClip({ enabled: true, label }, admin, ctx));
      expect(e.code, JSON.stringify(label)).toBe("settings.webClipLabelInvalid");
      expect(e.params.field).toBe("label");
    }
    expect(translator("en")("errors.settings.webClipLabelInvalid")).toBe("Enter the name under the icon: 1 to 30 characters.");
    expect(translator("ja")("errors.settings.webClipLabelInvalid")).toBe("アイコンの下の名前を 1〜30 文字で入力してください。");
    // 30 characters after trimming is the limit, not 30 with the spaces.
    expect(await saveWebClip({ enabled: false, label: ` ${"x".repeat(30)} ` }, admin, ctx)).toBeNull();
    expect((await getSetting("webClip")).label).toBe("x".repeat(30));
    await prisma().setting.deleteMany({ where: { key: "webClip" } });
    await prisma().auditEvent.deleteMany({ where: { targetId: "webClip" } });
    await nothingChanged();
  });

  it("refuses to switch it on while no public URL is set (the icon would open a guess)", async () => {
    await saveSetting("general", { publicUrl: null }, admin, ctx);
    expect(await webClipUrl()).toBeNull();
    const e = await refusedWith(saveWebClip({ enabled: true, label: "Mamori" }, admin, ctx));
    expect(e.code).toBe("settings.webClipNoPublicUrl");
    expect(e.params.field).toBe("enabled");
    for (const locale of ["en", "ja"] as const) expect(translator(locale)(`errors.${e.code}`, e.params)).not.toContain("errors.");
    await nothingChanged();
    await saveSetting("general", { publicUrl: "https://mdm.example.jp" }, admin, ctx);
  });

  it("switched on: a job installs it on managed iPhones and iPads only, audited and pushed", async () => {
    const job = await saveWebClip({ enabled: true, label: " マイデバイス " }, admin, ctx);
    expect(job).not.toBeNull();
    const done = await finishedJob(job!);
    expect(done).toMatchObject({ status: "DONE", total: 2, done: 2, failed: 0, kind: "web-clip", outcome: { installed: 2, skipped: 0 } });
    expect(jobView(done, translator("en")).summary).toBe("2 profiles queued");
    expect(jobView(done, translator("ja")).summary).toBe("プロファイル 2 件を予約");

    const installs = await commandsOf("InstallProfile");
    expect(installs.map((c) => c.device).sort()).toEqual(["ipad", "iphone"]);
    const profile = parsePlist(installs[0]!.payload.Payload as Buffer) as PlistDict & { PayloadContent: PlistDict[] };
    expect(profile.PayloadIdentifier).toBe(WEB_CLIP_PROFILE);
    const [payload] = profile.PayloadContent;
    expect(payload).toMatchObject({ PayloadType: "com.apple.webClip.managed", URL: "https://mdm.example.jp/my", Label: "マイデバイス", IsRemovable: true, FullScreen: false });
    expect(Buffer.from(payload!.Icon as Uint8Array).subarray(1, 4).toString("latin1")).toBe("PNG");
    // What devices get is what Apple's schema allows on iOS.
    expect(checkDict(payload!, [...COMMON_PAYLOAD_KEYS, ...schemasIn("profiles").get("com.apple.webClip.managed")!.payloadkeys!], { os: "iOS", requireKeys: true })).toEqual([]);
    expect(checkDict(profile, loadSchema("profiles/TopLevel.yaml").payloadkeys!, { os: "iOS", requireKeys: true })).toEqual([]);

    const [setting] = await prisma().auditEvent.findMany({ where: { action: "settings.update", targetId: "webClip" } });
    expect(setting).toMatchObject({ actorLabel: "admin@example.jp", ip: "192.0.2.1", details: { name: "webClip", value: { enabled: true, label: "マイデバイス" } } });
    const [rollout] = await prisma().auditEvent.findMany({ where: { action: "webClip.rollout" } });
    expect(rollout).toMatchObject({ actorLabel: "admin@example.jp", result: "SUCCESS", details: { action: "install", rolloutJobId: job!.id, label: "マイデバイス", url: "https://mdm.example.jp/my", queued: 2, commands: ["InstallProfile"] } });
    // The devices are woken by a push-devices job, on the jobs page like the rest.
    const pushJob = await prisma().job.findUnique({ where: { id: (rollout!.details as { jobId: string }).jobId } });
    expect(pushJob).toMatchObject({ kind: "push-devices", total: 2, params: { action: "webClip.rollout", devices: 2 } });

    // Saved again unchanged: nothing to roll out.
    expect(await saveWebClip({ enabled: true, label: "マイデバイス" }, admin, ctx)).toBeNull();
  });

  it("a newly enrolled iPhone gets it after enrollment; a Mac and an Android device do not", async () => {
    await prisma().device.update({ where: { id: ids.enrolling! }, data: { status: "ACTIVE" } });
    for (const key of ["enrolling", "mac", "pixel"]) await afterEnroll({ deviceId: ids[key]!, awaitingConfiguration: false, at: new Date().toISOString() });
    const installs = await commandsOf("InstallProfile");
    expect(installs.map((c) => c.device).sort()).toEqual(["enrolling", "ipad", "iphone"]);
    const last = parsePlist(installs.at(-1)!.payload.Payload as Buffer) as PlistDict & { PayloadContent: PlistDict[] };
    expect(last.PayloadContent[0]).toMatchObject({ Label: "マイデバイス", URL: "https://mdm.example.jp/my" });
  });

  it("a new public URL installs it again under the same identifier; the same URL does not", async () => {
    const before = await webClipUrl();
    await saveSetting("general", { publicUrl: "https://mdm2.example.jp" }, admin, ctx);
    const job = await webClipAfterPublicUrlChange(before, admin, ctx);
    expect(job).not.toBeNull();
    expect(await finishedJob(job!)).toMatchObject({ status: "DONE", outcome: { installed: 3 } });
    const again = (await commandsOf("InstallProfile")).slice(-3);
    expect(again.map((c) => c.device).sort()).toEqual(["enrolling", "ipad", "iphone"]);
    for (const c of again) {
      const p = parsePlist(c.payload.Payload as Buffer) as PlistDict & { PayloadContent: PlistDict[] };
      expect([p.PayloadIdentifier, p.PayloadContent[0]!.URL]).toEqual([WEB_CLIP_PROFILE, "https://mdm2.example.jp/my"]);
    }
    expect(await webClipAfterPublicUrlChange(await webClipUrl(), admin, ctx)).toBeNull();
  });

  it("switched off: a job removes it by its identifier from the same devices; new enrollments no longer get it", async () => {
    const job = await saveWebClip({ enabled: false, label: "マイデバイス" }, admin, ctx);
    expect(await finishedJob(job!)).toMatchObject({ status: "DONE", outcome: { removed: 3 } });
    const removals = await commandsOf("RemoveProfile");
    expect(removals.map((c) => c.device).sort()).toEqual(["enrolling", "ipad", "iphone"]);
    expect(removals.every((c) => c.payload.Identifier === WEB_CLIP_PROFILE)).toBe(true);
    expect(await prisma().auditEvent.count({ where: { action: "webClip.rollout", details: { path: ["action"], equals: "remove" } } })).toBe(1);
    // Off and saved again: nothing to do; a new public URL changes nothing either.
    expect(await saveWebClip({ enabled: false, label: "other" }, admin, ctx)).toBeNull();
    expect(await webClipAfterPublicUrlChange("https://elsewhere.example.jp/my", admin, ctx)).toBeNull();
    const installsBefore = (await commandsOf("InstallProfile")).length;
    await prisma().device.update({ where: { id: ids.late! }, data: { status: "ACTIVE" } });
    await afterEnroll({ deviceId: ids.late!, awaitingConfiguration: false, at: new Date().toISOString() });
    expect((await commandsOf("InstallProfile")).length).toBe(installsBefore);
  });
});
