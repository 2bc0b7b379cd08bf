import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { finishedJob, startTestJobs } from "../support/jobs";
import { prisma } from "@/lib/db/client";
import { parsePlist } from "@/lib/mdm/plist";
import { WEB_CLIP_PROFILE, saveWebClip } from "@/lib/portal/web-clip";
import { afterEnroll } from "@/lib/enrollment/after-enroll";
import { getSetting } from "@/lib/settings";
import { isUserError } from "@/lib/errors";
import { commandBody } from "@/lib/mdm/queue";

// The portal's Web Clip: the setting, the rollout job to iPhones and iPads only, the profile
// after a new enrollment, the removal, and a bad label refused with nothing changed.

useOwnDatabase();
const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: null };
const ids: Record<string, string> = {};

beforeAll(async () => {
  process.env.MAMORI_PUBLIC_URL = "https://mdm.example.jp";
  await startTestJobs();
  const rows = [
    ["iphone", "IOS", "ACTIVE"], ["ipad", "IOS", "INACTIVE"], ["mac", "MACOS", "ACTIVE"], ["pixel", "ANDROID", "ACTIVE"],
    ["retired", "IOS", "RETIRED"], ["wiped", "IOS", "WIPED"], ["enrolling", "IOS", "ENROLLING"],
  ] as const;
  for (const [key, platform, status] of rows) ids[key] = (await prisma().device.create({ data: { udid: `WEBCLIP-${key}`, name: key, platform, status } })).id;
});

const commandsOf = async (requestType: string) =>
  (await prisma().command.findMany({ where: { requestType }, include: { device: { select: { name: true } } }, orderBy: { seq: "asc" } })).map((c) => ({ device: c.device.name, payload: commandBody(c) }));

describe("the portal's Web Clip", () => {
  it("refuses a bad label with its sentence and changes nothing", async () => {
    for (const label of ["", "   ", "x".repeat(31), "a\u0007b"]) {
      const e: unknown = await saveWebClip({ enabled: true, label }, admin, ctx).then(() => null, (x: unknown) => x);
      expect(isUserError(e) && e.code, JSON.stringify(label)).toBe("settings.webClipLabelInvalid");
    }
    expect(await getSetting("webClip")).toEqual({ enabled: false, label: "Mamori" });
    expect(await prisma().command.count()).toBe(0);
  });

  it("switched on: a job installs it on managed iPhones and iPads only, audited", async () => {
    const job = await saveWebClip({ enabled: true, label: " マイデバイス " }, admin, ctx);
    expect(job).not.toBeNull();
    const done = await finishedJob(job!);
    expect(done).toMatchObject({ status: "DONE", total: 2, done: 2, failed: 0, kind: "web-clip" });
    const installs = await commandsOf("InstallProfile");
    expect(installs.map((c) => c.device).sort()).toEqual(["ipad", "iphone"]);
    const profile = parsePlist(installs[0]!.payload.Payload as Buffer) as { PayloadIdentifier: string; PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadIdentifier).toBe(WEB_CLIP_PROFILE);
    expect(profile.PayloadContent[0]).toMatchObject({ PayloadType: "com.apple.webClip.managed", URL: "https://mdm.example.jp/my", Label: "マイデバイス" });
    const [event] = await prisma().auditEvent.findMany({ where: { action: "settings.update", targetId: "webClip" } });
    expect(event!.details).toEqual({ name: "webClip", value: { enabled: true, label: "マイデバイス" } });
    // Saved again unchanged: nothing to roll out.
    expect(await saveWebClip({ enabled: true, label: "マイデバイス" }, admin, ctx)).toBeNull();
  });

  it("a newly enrolled iPhone gets it after enrollment; a Mac does not", async () => {
    await prisma().device.update({ where: { id: ids.enrolling! }, data: { status: "ACTIVE" } });
    await afterEnroll({ deviceId: ids.enrolling!, awaitingConfiguration: false, at: new Date().toISOString() });
    await afterEnroll({ deviceId: ids.mac!, awaitingConfiguration: false, at: new Date().toISOString() });
    expect((await commandsOf("InstallProfile")).map((c) => c.device).sort()).toEqual(["enrolling", "ipad", "iphone"]);
  });

  it("switched off: a job removes it by its identifier", async () => {
    const job = await saveWebClip({ enabled: false, label: "マイデバイス" }, admin, ctx);
    await finishedJob(job!);
    const removals = await commandsOf("RemoveProfile");
    expect(removals.map((c) => c.device).sort()).toEqual(["enrolling", "ipad", "iphone"]);
    expect(removals.every((c) => c.payload.Identifier === WEB_CLIP_PROFILE)).toBe(true);
    // Off and saved again: nothing to do.
    expect(await saveWebClip({ enabled: false, label: "other" }, admin, ctx)).toBeNull();
  });
});
