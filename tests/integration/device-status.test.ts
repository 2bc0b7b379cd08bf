import { afterAll, beforeAll, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { markInactiveDevices } from "@/lib/devices/status";
import { saveSetting } from "@/lib/settings";

useOwnDatabase();


it("marks active devices silent for the configured days as inactive, and only those", async () => {
  const now = new Date("2026-12-01T00:00:00Z");
  const ago = (days: number) => new Date(now.getTime() - days * 86_400_000);
  await prisma().device.createMany({
    data: [
      { udid: "fresh", platform: "IOS", status: "ACTIVE", lastCheckInAt: ago(2) },
      { udid: "silent", platform: "IOS", status: "ACTIVE", lastCheckInAt: ago(20) },
      { udid: "retired", platform: "IOS", status: "RETIRED", lastCheckInAt: ago(200) },
    ],
  });
  expect(await markInactiveDevices(now)).toBe(1);
  await saveSetting("devices", { inactiveAfterDays: 1 }, { id: null, label: "admin" }, { ip: null, userAgent: null });
  expect(await markInactiveDevices(now)).toBe(1);
  const rows = await prisma().device.findMany({ orderBy: { udid: "asc" }, select: { udid: true, status: true } });
  expect(rows).toEqual([{ udid: "fresh", status: "INACTIVE" }, { udid: "retired", status: "RETIRED" }, { udid: "silent", status: "INACTIVE" }]);
  await expect(saveSetting("devices", { inactiveAfterDays: 0 }, { id: null, label: "admin" }, { ip: null, userAgent: null })).rejects.toMatchObject({ code: "settings.inactiveDaysInvalid" });
});
