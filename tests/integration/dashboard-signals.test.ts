import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { fleetCounts } from "@/lib/devices/counts";
import { OS_BARS, WEEKS, certificateDays, dashboardCharts, weekStart } from "@/lib/dashboard/charts";
import { deviceListLive, deviceMarkers } from "@/lib/devices/markers";
import { bulkOutcome } from "@/lib/devices/bulk-outcome";
import { deviceWhere, loadQueryContext, parseDeviceFilter } from "@/lib/devices/query";

// What the dashboard's charts, the device list's row markers and a bulk run's outcome read,
// on a small seeded fleet with known numbers.

useOwnDatabase();
const NOW = new Date("2026-11-20T03:00:00Z"); // a Friday
const DAY = 86_400_000;
const ids: string[] = [];

beforeAll(async () => {
  const versions = ["18.1", "18.1", "18.1", "17.6", "17.6", "16.7", "15.1", "15", "14", "13", "12", "11", "10", "9"];
  for (const [i, os] of versions.entries()) {
    const d = await prisma().device.create({
      data: {
        udid: `SIG-${i}`, name: `sig ${i}`, osVersion: os, platform: i === 6 ? "MACOS" : i === 7 ? "ANDROID" : "IOS",
        status: i === 11 ? "RETIRED" : i === 10 ? "INACTIVE" : "ACTIVE", enrolledAt: new Date(NOW.getTime() - i * 7 * DAY),
      },
    });
    ids.push(d.id);
  }
});

/** How many devices the device list shows for a chart's link, parsed as strictly as an export would. */
async function listed(href: string): Promise<number> {
  const f = parseDeviceFilter(new URL(href, "http://x").searchParams, "strict");
  return prisma().device.count({ where: deviceWhere(f, await loadQueryContext(f, NOW)) });
}

describe("dashboard charts", () => {
  it("status and platform from one pass; OS versions with an 'other' bucket; weeks; failures by type in 30 days", async () => {
    const fleet = await fleetCounts();
    expect(fleet.byStatus).toMatchObject({ ACTIVE: 12, INACTIVE: 1, RETIRED: 1 });
    expect(fleet.byPlatform).toEqual({ IOS: 11, MACOS: 1, ANDROID: 1 });
    expect(fleet).toMatchObject({ managed: 13, activeApple: 11 });
    await prisma().command.createMany({
      data: [
        { id: crypto.randomUUID(), deviceId: ids[0]!, requestType: "DeviceLock", payload: {}, status: "ERROR", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - DAY) },
        { id: crypto.randomUUID(), deviceId: ids[1]!, requestType: "DeviceLock", payload: {}, status: "ERROR", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - 2 * DAY) },
        { id: crypto.randomUUID(), deviceId: ids[2]!, requestType: "EraseDevice", payload: {}, status: "ERROR", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - 3 * DAY) },
        // Android's types have underscores; one with no label in the catalog shows as stored.
        { id: crypto.randomUUID(), deviceId: ids[7]!, requestType: "RESET_PASSWORD", payload: {}, status: "ERROR", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - 4 * DAY) },
        { id: crypto.randomUUID(), deviceId: ids[4]!, requestType: "Custom.Thing", payload: {}, status: "ERROR", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - 5 * DAY) },
        // Answered, not failed: not on the chart.
        { id: crypto.randomUUID(), deviceId: ids[5]!, requestType: "DeviceLock", payload: {}, status: "ACKNOWLEDGED", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - DAY) },
        // Older than 30 days: not on the chart.
        { id: crypto.randomUUID(), deviceId: ids[3]!, requestType: "EraseDevice", payload: {}, status: "ERROR", queuedByLabel: "t", expiresAt: NOW, createdAt: new Date(NOW.getTime() - 40 * DAY) },
      ],
    });
    const c = await dashboardCharts(fleet, NOW);
    expect(c.status.find((b) => "key" in b.label && b.label.key === "devices.statuses.ACTIVE")).toEqual({ label: { key: "devices.statuses.ACTIVE" }, value: 12, href: "/admin/devices?status=ACTIVE" });
    expect(c.platform.map((b) => b.value)).toEqual([11, 1, 1]);
    // Platform and OS bars count managed devices; their links open the same set (the retired iPhone "sig 11" is left out).
    expect(c.platform[0]).toEqual({ label: { key: "devices.platforms.IOS" }, value: 11, href: "/admin/devices?platform=IOS&managed=1" });
    for (const bar of [...c.status, ...c.platform, ...c.os.filter((b) => b.href)]) expect(await listed(bar.href!), bar.href!).toBe(bar.value);
    // Managed only (the retired "11" is left out); the commonest first, then the rest as one bar.
    expect(c.os.slice(0, 2)).toEqual([
      { label: { text: "18.1" }, value: 3, href: "/admin/devices?os=18.1&managed=1" },
      { label: { text: "17.6" }, value: 2, href: "/admin/devices?os=17.6&managed=1" },
    ]);
    expect(c.os).toHaveLength(OS_BARS + 1);
    // Ten versions under management: the two oldest are "other".
    expect(c.os.slice(2, OS_BARS).map((b) => ("text" in b.label ? b.label.text : ""))).toEqual(["16.7", "15.1", "15", "14", "13", "12"]);
    expect(c.os.at(-1)).toEqual({ label: { key: "dashboard.charts.otherVersions" }, value: 2, href: null });
    // Twelve weeks from Monday, one device enrolled in each; the two enrolled 12 and 13 weeks ago are before them.
    expect(c.enrollments).toHaveLength(WEEKS);
    expect(c.enrollments.at(-1)).toEqual({ label: { text: weekStart(NOW).toISOString().slice(0, 10) }, value: 1, href: null });
    expect(c.enrollments.map((b) => b.value)).toEqual(Array(WEEKS).fill(1));
    expect(c.failures).toEqual([
      { label: { key: "deviceDetail.requestTypes.DeviceLock" }, value: 2, href: "/admin/devices?failed=DeviceLock" },
      { label: { text: "Custom.Thing" }, value: 1, href: "/admin/devices?failed=Custom.Thing" },
      { label: { key: "deviceDetail.requestTypes.EraseDevice" }, value: 1, href: "/admin/devices?failed=EraseDevice" },
      { label: { key: "deviceDetail.requestTypes.RESET_PASSWORD" }, value: 1, href: "/admin/devices?failed=RESET_PASSWORD" },
    ]);
    // Each failure bar's link keeps its filter (strict parsing refuses what it would drop); one device per failure here.
    for (const bar of c.failures) expect(await listed(bar.href!), bar.href!).toBe(bar.value);
    // The bar's link finds those devices in the list.
    const f = parseDeviceFilter(new URLSearchParams("failed=DeviceLock"), "strict");
    const found = await prisma().device.findMany({ where: deviceWhere(f, await loadQueryContext(f)), select: { name: true }, orderBy: { name: "asc" } });
    expect(found.map((d) => d.name)).toEqual(["sig 0", "sig 1"]);
    await prisma().command.deleteMany();
  });
});

describe("certificate chart", () => {
  it("days left on the active push certificate and the device CA; nothing for what is not set up", async () => {
    expect(await certificateDays(NOW)).toEqual([]);
    const cert = { subject: "CN=t", certPem: "x", notAfter: new Date(NOW.getTime() + 45.5 * DAY) };
    await prisma().pushCertificate.create({
      data: { ...cert, status: "ACTIVE", topic: "com.apple.mgmt.t", issuer: "CN=Apple", serial: "1", notBefore: NOW, fingerprint: "f-push", appleId: "a@example.jp", uploadedByLabel: "t" },
    });
    // Replaced certificates do not count.
    await prisma().pushCertificate.create({
      data: { ...cert, status: "REPLACED", topic: "com.apple.mgmt.t", issuer: "CN=Apple", serial: "0", notBefore: NOW, fingerprint: "f-old", appleId: "a@example.jp", uploadedByLabel: "t", notAfter: new Date(NOW.getTime() + 2 * DAY) },
    });
    await prisma().certificateAuthority.create({ data: { ...cert, purpose: "device", keySealed: "k", fingerprint: "f-ca", notAfter: new Date(NOW.getTime() - DAY) } });
    expect(await certificateDays(NOW)).toEqual([
      { label: { key: "certificates.push" }, value: 45, href: "/admin/certificates/push" },
      // Expired: 0, not a negative bar.
      { label: { key: "certificates.ca" }, value: 0, href: null },
    ]);
  });
});

describe("row markers and a bulk run's outcome", () => {
  it("count queued, busy and failed commands per row; the version changes when one answers", async () => {
    const batchId = crypto.randomUUID();
    const mk = (deviceId: string, status: "QUEUED" | "SENT" | "NOT_NOW" | "ERROR" | "ACKNOWLEDGED", requestType = "DeviceInformation") =>
      ({ id: crypto.randomUUID(), deviceId, requestType, payload: {}, status, queuedByLabel: "t", expiresAt: new Date(Date.now() + DAY), batchId });
    await prisma().command.createMany({
      data: [mk(ids[0]!, "QUEUED"), mk(ids[0]!, "SENT"), mk(ids[1]!, "NOT_NOW"), mk(ids[2]!, "ERROR"), mk(ids[2]!, "ACKNOWLEDGED", "SecurityInfo"), mk(ids[3]!, "ACKNOWLEDGED")],
    });
    await prisma().command.updateMany({ where: { deviceId: ids[2]!, status: "ERROR" }, data: { errorChain: [{ code: 12021, domain: "MCMDMErrorDomain", description: "The device is busy" }] } });
    const m = await deviceMarkers(ids.slice(0, 5));
    expect(Object.fromEntries(m)).toEqual({ [ids[0]!]: { pending: 2, notNow: 0, failed: 0 }, [ids[1]!]: { pending: 0, notNow: 1, failed: 0 }, [ids[2]!]: { pending: 0, notNow: 0, failed: 1 } });

    const before = await deviceListLive(ids.slice(0, 5));
    expect(before.pending).toBe(true);
    expect(await bulkOutcome(batchId)).toEqual({
      devices: 4, done: 1, failed: 1, notNow: 1, waiting: 1, ended: 0, finished: false,
      reasons: [{ text: "The device is busy (MCMDMErrorDomain 12021)", devices: 1 }],
    });
    await prisma().command.updateMany({ where: { batchId, status: { in: ["QUEUED", "SENT", "NOT_NOW"] } }, data: { status: "ACKNOWLEDGED" } });
    const after = await deviceListLive(ids.slice(0, 5));
    expect(after.version).not.toBe(before.version);
    expect(after.pending).toBe(false);
    expect(await bulkOutcome(batchId)).toMatchObject({ devices: 4, done: 3, failed: 1, waiting: 0, notNow: 0, finished: true });
  });
});
