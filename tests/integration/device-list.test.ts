import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { translator } from "@/lib/i18n";
import {
  deviceOrderBy, deviceWhere, filterQuery, isTopicMismatch, listDevices, loadQueryContext, osVersions, parseDeviceFilter,
  type DeviceFilter, type QueryContext,
} from "@/lib/devices/query";
import { csvCell, csvDate, csvLine } from "@/lib/csv";
import { deviceCsvStream } from "@/lib/devices/export";
import { BULK_MAX, bulkReport, runBulkAction } from "@/lib/devices/bulk";
import { commandBody } from "@/lib/mdm/queue";
import { finishedJob, startTestJobs } from "../support/jobs";

// The device list's filter, CSV and bulk actions on a handful of devices (any database); the
// plans at 100,000 devices are in devices-scale.test.ts.

useOwnDatabase();
const TOPIC = "com.apple.mgmt.External.list-test";
const NOW = new Date("2026-11-20T00:00:00Z");
const DAY = 86_400_000;
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.1", userAgent: null };
const ids: Record<string, string> = {};

beforeAll(async () => {
  const hanako = await prisma().user.create({ data: { email: "hanako.yamada@example.jp", displayName: "山田 花子", role: "END_USER" } });
  const ichiro = await prisma().user.create({ data: { email: "ichiro@example.jp", displayName: "Ichiro Suzuki", role: "END_USER" } });
  await prisma().pushCertificate.create({ data: { status: "ACTIVE", topic: TOPIC, subject: "s", issuer: "i", serial: "1", notBefore: NOW, notAfter: NOW, fingerprint: "f", certPem: "p", appleId: "a", uploadedByLabel: "t" } });
  const e = await prisma().enrollment.create({ data: { profileTokenHash: "list", profileExpiresAt: NOW, profileIdentifier: "jp.mamori.enrollment.list", createdByLabel: "t" } });
  const rows: [string, Parameters<ReturnType<typeof prisma>["device"]["create"]>[0]["data"]][] = [
    ["iphone", { name: "営業部 iPhone", serialNumber: "F2LXA001", platform: "IOS", status: "ACTIVE", osVersion: "18.1", ownerId: hanako.id, phoneNumber: "+81 90-1111-2222", supervised: true, topic: TOPIC, lastCheckInAt: new Date(NOW.getTime() - 2 * DAY), enrollmentId: e.id }],
    ["ipad", { name: "100% iPad", serialNumber: "DMPXB002", platform: "IOS", status: "INACTIVE", osVersion: "17.6", ownerId: ichiro.id, supervised: false, topic: TOPIC, lastCheckInAt: new Date(NOW.getTime() - 40 * DAY) }],
    ["mac", { name: "開発 MacBook", serialNumber: "C02YC003", platform: "MACOS", status: "ACTIVE", osVersion: "15.1", ownerId: hanako.id, supervised: null, topic: "com.apple.mgmt.External.old", lastCheckInAt: new Date(NOW.getTime() - 1 * DAY) }],
    ["new", { name: null, serialNumber: "F2LXD004", platform: "IOS", status: "ENROLLING", osVersion: null, topic: TOPIC, lastCheckInAt: null }],
    ["retired", { name: "返却済み iPhone", serialNumber: "F2LXE005", platform: "IOS", status: "RETIRED", osVersion: "16.7", topic: "com.apple.mgmt.External.old", lastCheckInAt: new Date(NOW.getTime() - 90 * DAY) }],
    ["pixel", { name: "Pixel_8", serialNumber: "PX000006", platform: "ANDROID", status: "ACTIVE", osVersion: "15", supervised: null, lastCheckInAt: new Date(NOW.getTime() - 3 * DAY) }],
  ];
  for (const [key, data] of rows) ids[key] = (await prisma().device.create({ data })).id;
});

const filter = (q: string) => parseDeviceFilter(new URLSearchParams(q), "strict");
async function matching(q: string, override: Partial<QueryContext> = {}): Promise<string[]> {
  const f = filter(q);
  const c = { ...(await loadQueryContext(f, NOW)), ...override };
  const found = await prisma().device.findMany({ where: deviceWhere(f, c), orderBy: deviceOrderBy(f), select: { id: true } });
  const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
  return found.map((d) => byId[d.id]!);
}

describe("the filter in the URL", () => {
  it("is read leniently for the page and strictly for export and bulk actions", () => {
    const raw = { q: "  iPhone ", platform: "IOS", status: "BROKEN", days: "x", checkIn: "older", page: ["3", "4"], sort: "name", dir: "desc", owner: "Hanako.Yamada@Example.jp" };
    expect(parseDeviceFilter(raw)).toEqual({ q: "iPhone", platform: "IOS", sort: "name", dir: "desc", page: 3, size: 50, owner: "hanako.yamada@example.jp" });
    expect(() => parseDeviceFilter(raw, "strict")).toThrow(expect.objectContaining({ code: "device.filterInvalid", params: { field: "status" } }));
    expect(parseDeviceFilter({})).toEqual({ sort: "lastCheckIn", dir: "desc", page: 1, size: 50 });
  });

  it("page size: 25, 50, 100 or 200; anything else is the default on the page and refused by export and bulk", () => {
    for (const n of [25, 100, 200]) expect(parseDeviceFilter({ size: String(n) }).size).toBe(n);
    expect(parseDeviceFilter({ size: "75" }).size).toBe(50);
    expect(() => parseDeviceFilter(new URLSearchParams("size=1000"), "strict")).toThrow(expect.objectContaining({ params: { field: "size" } }));
    expect(filterQuery(parseDeviceFilter({ size: "100", page: "2" }))).toEqual({ page: "2", size: "100" });
    expect(filterQuery(parseDeviceFilter({ size: "50" }))).toEqual({});
  });

  it("drops a NUL (q=%00), which PostgreSQL cannot search for, instead of failing the list (found by tests/e2e/fuzz-routes)", async () => {
    expect(parseDeviceFilter({ q: "\u0000" })).toEqual({ sort: "lastCheckIn", dir: "desc", page: 1, size: 50 });
    const f = parseDeviceFilter(new URLSearchParams("q=iP%00hone&page=99999999999999999999"));
    expect(f.q).toBe("iPhone");
    await expect(listDevices(f, await loadQueryContext(f, NOW))).resolves.toMatchObject({ page: 1 });
  });

  it("writes back as a canonical query without defaults", () => {
    const f: DeviceFilter = { q: "x", mismatch: "1", checkIn: "newer", days: 7, sort: "lastCheckIn", dir: "desc", page: 2, size: 50 };
    expect(filterQuery(f)).toEqual({ q: "x", checkIn: "newer", days: "7", mismatch: "1", page: "2" });
    expect(filterQuery({ ...f, sort: "os", dir: "asc" }, { page: false })).toEqual({ q: "x", checkIn: "newer", days: "7", mismatch: "1", sort: "os", dir: "asc" });
    expect(filterQuery({ ...f, sort: "os" }, { page: false, sort: false })).toEqual({ q: "x", checkIn: "newer", days: "7", mismatch: "1" });
  });
});

describe("search, filters and sorting", () => {
  it("search: name, serial number, phone number, owner name and email, case-insensitive", async () => {
    expect(await matching("q=iphone")).toEqual(["iphone", "retired"]);
    expect(await matching("q=f2lx&sort=name&dir=asc")).toEqual(["iphone", "retired", "new"]);
    expect(await matching("q=1111-2222")).toEqual(["iphone"]);
    expect(await matching(`q=${encodeURIComponent("山田")}&sort=name&dir=asc`)).toEqual(["iphone", "mac"]);
    expect(await matching("q=ICHIRO@EXAMPLE")).toEqual(["ipad"]);
  });

  it("search folds width and kana: full-width letters and digits, half-width kana, hiragana for katakana", async () => {
    const kana = await prisma().device.create({ data: { name: "アイパッド　ｶﾞｲﾄﾞ用", serialNumber: "KANA0007", platform: "IOS", status: "ACTIVE" } });
    const owner = await prisma().user.create({ data: { email: "kana.owner@example.jp", displayName: "ヤマモト タロウ", role: "END_USER" } });
    const owned = await prisma().device.create({ data: { name: "owned by kana", serialNumber: "KANA0008", platform: "IOS", status: "ACTIVE", ownerId: owner.id } });
    ids.kana = kana.id;
    ids.owned = owned.id;
    try {
      // Full-width Latin typed with a Japanese IME, in either case.
      expect(await matching(`q=${encodeURIComponent("ｆ２ｌｘａ")}`)).toEqual(["iphone"]);
      expect(await matching(`q=${encodeURIComponent("ＭＡＣＢＯＯＫ")}`)).toEqual(["mac"]);
      // Hiragana finds katakana; full-width katakana finds the half-width kana the name was typed with.
      expect(await matching(`q=${encodeURIComponent("あいぱっど")}`)).toEqual(["kana"]);
      expect(await matching(`q=${encodeURIComponent("ガイド")}`)).toEqual(["kana"]);
      expect(await matching(`q=${encodeURIComponent("ｶﾞｲﾄﾞ")}`)).toEqual(["kana"]);
      // An ideographic space in the name is a plain space after NFKC.
      expect(await matching(`q=${encodeURIComponent("パッド ガ")}`)).toEqual(["kana"]);
      // Owners too, by ids and by relation.
      expect(await matching(`q=${encodeURIComponent("やまもと")}`)).toEqual(["owned"]);
      expect(await matching(`q=${encodeURIComponent("やまもと")}`, { searchOwnerIds: null })).toEqual(["owned"]);
      // The generated column follows a rename.
      await prisma().device.update({ where: { id: kana.id }, data: { name: "ｉＰａｄ 受付" } });
      expect(await matching("q=ipad%20" + encodeURIComponent("受付"))).toEqual(["kana"]);
    } finally {
      await prisma().device.deleteMany({ where: { id: { in: [kana.id, owned.id] } } });
      await prisma().user.delete({ where: { id: owner.id } });
      delete ids.kana;
      delete ids.owned;
    }
  });

  it("search: % and _ are plain characters, not wildcards", async () => {
    expect(await matching("q=100%25")).toEqual(["ipad"]);
    expect(await matching("q=l_8")).toEqual(["pixel"]);
    expect(await matching("q=10_")).toEqual([]);
  });

  it("search: with too many matching owners the relation filter gives the same devices", async () => {
    for (const q of ["q=yamada", "q=example.jp", "q=iphone"]) {
      expect(await matching(q, { searchOwnerIds: null }), q).toEqual(await matching(q));
    }
  });

  it("each filter", async () => {
    expect(await matching("platform=MACOS")).toEqual(["mac"]);
    expect(await matching("status=INACTIVE")).toEqual(["ipad"]);
    expect(await matching("os=17.6")).toEqual(["ipad"]);
    expect(await matching("owner=hanako.yamada@example.jp")).toEqual(["mac", "iphone"]);
    expect(await matching("owner=nobody@example.jp")).toEqual([]);
    expect(await matching("owner=none")).toEqual(["pixel", "retired", "new"]);
    // "Never" counts as older than anything.
    expect(await matching("checkIn=older&days=30")).toEqual(["ipad", "retired", "new"]);
    expect(await matching("checkIn=newer&days=2")).toEqual(["mac", "iphone"]);
    expect(await matching("supervised=yes")).toEqual(["iphone"]);
    expect(await matching("supervised=no")).toEqual(["mac", "pixel", "ipad", "retired", "new"]);
    // Another topic than the active certificate's, still managed: the retired one is not counted.
    expect(await matching("mismatch=1")).toEqual(["mac"]);
    expect(await matching("mismatch=1", { activeTopic: null })).toEqual([]);
    expect(await matching("platform=IOS&status=ACTIVE&supervised=yes&q=F2LX")).toEqual(["iphone"]);
  });

  it("marks the same devices unmanageable as the mismatch filter finds", () => {
    expect(isTopicMismatch({ topic: "com.apple.mgmt.External.old", status: "ACTIVE" }, TOPIC)).toBe(true);
    expect(isTopicMismatch({ topic: "com.apple.mgmt.External.old", status: "RETIRED" }, TOPIC)).toBe(false);
    expect(isTopicMismatch({ topic: null, status: "ACTIVE" }, TOPIC)).toBe(false);
    expect(isTopicMismatch({ topic: "com.apple.mgmt.External.old", status: "ACTIVE" }, null)).toBe(false);
  });

  it("sorts both ways; never checked in is the oldest", async () => {
    expect(await matching("")).toEqual(["mac", "iphone", "pixel", "ipad", "retired", "new"]);
    expect(await matching("sort=lastCheckIn&dir=asc")).toEqual(["new", "retired", "ipad", "pixel", "iphone", "mac"]);
    expect(await matching("sort=status&dir=asc&platform=IOS")).toEqual(["new", "iphone", "ipad", "retired"]);
    expect((await matching("sort=os&dir=desc")).slice(0, 2)).toEqual(["new", "iphone"]);
    expect(await matching("sort=name&dir=asc&platform=IOS")).toEqual(["ipad", "iphone", "retired", "new"]);
  });

  it("pages, clamped to the last page, and lists the OS versions present", async () => {
    const f = filter("page=99");
    const r = await listDevices(f, await loadQueryContext(f, NOW));
    expect([r.total, r.page, r.pages, r.devices.length]).toEqual([6, 1, 1, 6]);
    expect(await osVersions()).toEqual(["15", "15.1", "16.7", "17.6", "18.1"]);
  });
});

describe("CSV", () => {
  it("quotes per RFC 4180 and defuses formulas", () => {
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    for (const s of ["=1+1", "+81 90", "-2", "@SUM(A1)", "\tx", "＝1"]) expect(csvCell(s)).toBe(`'${s}`);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell(null)).toBe("");
    expect(csvLine(["a", null, "b,c"])).toBe('a,,"b,c"\r\n');
    expect(csvDate(new Date("2026-03-01T15:30:00Z"), "Asia/Tokyo")).toBe("2026-03-02 00:30:00");
  });

  it("streams every matching device once, batch by batch, with a BOM and localized headers", async () => {
    const f = filter("sort=name");
    const where = deviceWhere(f, await loadQueryContext(f, NOW));
    let ended = -1;
    const stream = deviceCsvStream(where, { t: translator("ja"), timeZone: "Asia/Tokyo", activeTopic: TOPIC, batchSize: 2, onEnd: (n) => (ended = n) });
    const chunks: Uint8Array[] = [];
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    // Header, then one chunk per batch of two, then nothing: batches are read on demand.
    expect(chunks).toHaveLength(1 + 3);
    const text = Buffer.concat(chunks).toString("utf8");
    expect(text.startsWith("\uFEFF名前,シリアル番号,プラットフォーム,機種,OS,状態,所有者名,所有者のメールアドレス,電話番号,監視対象,最終チェックイン（Asia/Tokyo）,")).toBe(true);
    const lines = text.slice(1).split("\r\n").slice(1, -1);
    expect(lines).toHaveLength(6);
    expect(ended).toBe(6);
    expect(new Set(lines.map((l) => l.split(",").at(-1))).size).toBe(6);
    const iphone = lines.find((l) => l.includes("F2LXA001"))!;
    expect(iphone).toBe(`営業部 iPhone,F2LXA001,iOS / iPadOS,,18.1,アクティブ,山田 花子,hanako.yamada@example.jp,'+81 90-1111-2222,はい,2026-11-18 09:00:00,,いいえ,,${ids.iphone}`);
    expect(lines.find((l) => l.includes("C02YC003"))).toContain(",はい,,"); // the Mac's other topic
  });

  it("a short last batch ends the export without another read; rows are the same whatever the batch size", async () => {
    const f = filter("sort=name");
    const where = deviceWhere(f, await loadQueryContext(f, NOW));
    const read = async (batchSize: number) => {
      const chunks: string[] = [];
      const reader = deviceCsvStream(where, { t: translator("en"), timeZone: "UTC", activeTopic: TOPIC, batchSize }).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(Buffer.from(r.value).toString("utf8"));
      return chunks;
    };
    const four = await read(4);
    expect(four).toHaveLength(1 + 2); // header, 4 rows, 2 rows
    expect((await read(100)).join("")).toBe(four.join(""));
  });
});

describe("bulk actions", () => {
  const t = translator("en");
  const selected = (...keys: string[]) => ({ scope: "selected" as const, ids: keys.map((k) => ids[k]!) });

  it("refresh: each managed device gets its commands; the others are counted by reason; one audit event", async () => {
    const enqueues = await prisma().auditEvent.count({ where: { action: { in: ["command.enqueue", "device.refresh"] } } });
    const r = await runBulkAction(selected("iphone", "mac", "retired"), "refresh", {}, actor, ctx);
    expect(r).toMatchObject({ action: "refresh", total: 3, queued: 2 });
    expect(r.refused.map((x) => [x.samples, x.reason, x.count])).toEqual([[["返却済み iPhone"], "errors.device.notManaged", 1]]);
    expect(await prisma().command.count({ where: { deviceId: { in: [ids.iphone!, ids.mac!] } } })).toBe(10);
    expect(bulkReport(t, r)).toBe([
      "Refresh information: queued for 2 of 3 devices. The devices are being notified.",
      "Refused (1):",
      "• This device is no longer managed (retired or wiped). (1): 返却済み iPhone",
    ].join("\n"));
    const [event] = await prisma().auditEvent.findMany({ where: { action: "device.bulk" }, orderBy: { id: "desc" }, take: 1 });
    expect(event).toMatchObject({
      actorLabel: actor.label, ip: "192.0.2.1", result: "SUCCESS",
      details: {
        action: "refresh", scope: "selected", devices: 3, queued: 2, commandsQueued: 10, jobId: r.jobId,
        commands: ["DeviceInformation", "SecurityInfo", "InstalledApplicationList", "ProfileList", "CertificateList"],
        refused: { "errors.device.notManaged": 1 },
      },
    });
    // The run is one event, not one per device or command.
    expect(await prisma().auditEvent.count({ where: { action: { in: ["command.enqueue", "device.refresh"] } } })).toBe(enqueues);
    expect(await prisma().job.findUniqueOrThrow({ where: { id: r.jobId! } })).toMatchObject({ kind: "push-devices", total: 2, actorLabel: actor.label });
  });

  it("an Android device in the selection goes through Google: the action table decides, one job follows it", async () => {
    // Pixel_8: Google has not told its management mode yet, so a lock is possible and a wipe is not.
    const lock = await runBulkAction(selected("iphone", "pixel"), "lock", {}, actor, ctx);
    expect(lock).toMatchObject({ total: 2, queued: 2, refused: [] });
    expect(await prisma().job.findUniqueOrThrow({ where: { id: lock.jobId! } })).toMatchObject({ kind: "android-bulk", total: 1 });
    expect(await prisma().command.findFirstOrThrow({ where: { deviceId: ids.pixel!, requestType: "LOCK" } })).toMatchObject({ status: "QUEUED", payload: { type: "LOCK" } });
    const checkIn = await runBulkAction(selected("pixel"), "checkIn", {}, actor, ctx);
    expect(checkIn.refused.map((x) => [x.samples, x.reason, x.params])).toEqual([[["Pixel_8"], "errors.device.unavailable.platform", { platform: "Android" }]]);
    expect(bulkReport(t, checkIn)).toContain("This action does not exist on Android. (1): Pixel_8");
    const [event] = await prisma().auditEvent.findMany({ where: { action: "device.bulk" }, orderBy: { id: "desc" }, take: 1 });
    expect(event).toMatchObject({ result: "FAILURE", details: { queued: 0, refused: { "errors.device.unavailable.platform": 1 } } });
  });

  it("lock: Macs are refused without a PIN; with one, iPhones lock without it and Macs with it", async () => {
    const without = await runBulkAction(selected("iphone", "mac"), "lock", { message: "情報システム部へ" }, actor, ctx);
    expect([without.queued, without.refused.map((x) => x.reason)]).toEqual([1, ["errors.mdm.pinRequired"]]);
    const withPin = await runBulkAction(selected("iphone", "mac"), "lock", { pin: "１２３４５６" }, actor, ctx);
    expect([withPin.queued, withPin.refused]).toEqual([2, []]);
    const macLock = await prisma().command.findFirstOrThrow({ where: { deviceId: ids.mac, requestType: "DeviceLock" } });
    expect(macLock.payload).toMatchObject({ PIN: "[sealed]" });
    expect(commandBody(macLock)).toMatchObject({ PIN: "123456" });
    const phoneLock = await prisma().command.findFirstOrThrow({ where: { deviceId: ids.iphone, requestType: "DeviceLock" }, orderBy: { seq: "desc" } });
    expect(phoneLock.payload).toEqual({ RequestType: "DeviceLock" });
  });

  it("check-in: the admin hears it is queued; the push job then reports what could not be pushed", async () => {
    await startTestJobs();
    const r = await runBulkAction(selected("iphone"), "checkIn", {}, actor, ctx);
    expect([r.queued, r.refused]).toEqual([1, []]);
    expect(bulkReport(t, r)).toBe("Check in now: queued for 1 of 1 devices. The devices are being notified.");
    // The stand-in certificate has no key, so there is nothing to push with.
    expect(await finishedJob(r.jobId!)).toMatchObject({ status: "DONE", done: 1, outcome: { delivered: 0, skipped: 1, stoppedBy: "noCertificate" } });
  });

  it("wipe and retire: refused unless the typed count matches; full-width digits count", async () => {
    const wipe = (confirm?: string) => runBulkAction(selected("iphone", "ipad"), "wipe", { confirm }, actor, ctx);
    for (const confirm of [undefined, "", "1", "3", "two"]) {
      await expect(wipe(confirm)).rejects.toMatchObject({ code: "device.bulkConfirm", params: { count: 2 } });
    }
    expect(await prisma().command.count({ where: { requestType: "EraseDevice" } })).toBe(0);
    expect((await wipe("２")).queued).toBe(2);
    await expect(runBulkAction(selected("iphone"), "retire", {}, actor, ctx)).rejects.toMatchObject({ code: "device.bulkConfirm" });
    // Retire removes each device's own enrollment profile; the iPad has none.
    const retire = await runBulkAction(selected("iphone", "ipad"), "retire", { confirm: "2" }, actor, ctx);
    expect([retire.queued, retire.refused.map((x) => x.reason)]).toEqual([1, ["errors.device.noEnrollmentProfile"]]);
    const removal = await prisma().command.findFirstOrThrow({ where: { deviceId: ids.iphone, requestType: "RemoveProfile" } });
    expect(removal.payload).toEqual({ RequestType: "RemoveProfile", Identifier: "jp.mamori.enrollment.list" });
  });

  it("refuses an empty selection and more than the limit, by ids or by filter", async () => {
    await expect(runBulkAction({ scope: "selected", ids: [] }, "refresh", {}, actor, ctx)).rejects.toMatchObject({ code: "device.bulkNone" });
    const many = Array.from({ length: BULK_MAX + 1 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    await expect(runBulkAction({ scope: "selected", ids: many }, "refresh", {}, actor, ctx)).rejects.toMatchObject({ code: "device.bulkTooMany", params: { count: BULK_MAX + 1, max: BULK_MAX } });
    await expect(runBulkAction({ scope: "filter", filter: filter("q=nothing-matches-this") }, "refresh", {}, actor, ctx)).rejects.toMatchObject({ code: "device.bulkNone" });
    // More than BULK_MAX devices matching a filter: bulk-enqueue.test.ts (it seeds 100,000).
  });
});
