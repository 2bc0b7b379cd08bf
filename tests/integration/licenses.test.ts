import { beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { prisma } from "@/lib/db/client";
import { saveSetting } from "@/lib/settings";
import { assertLicensesFor, licenseLevel, licensesFull, licenseUsage } from "@/lib/licenses";
import { createEnrollment } from "@/lib/enrollment/service";

useOwnDatabase();

const admin = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const limit = (devices: number | null) => saveSetting("licenses", { devices }, admin, ctx);

beforeEach(async () => {
  await prisma().device.deleteMany();
  await prisma().enrollment.deleteMany();
  await prisma().setting.deleteMany();
  let n = 0;
  const make = (status: "ENROLLING" | "ACTIVE" | "INACTIVE" | "RETIRED" | "WIPED", count: number, platform: "IOS" | "MACOS" | "ANDROID" = "IOS") =>
    prisma().device.createMany({ data: Array.from({ length: count }, () => ({ udid: `${status}-${n++}`, platform, status })) });
  await make("ACTIVE", 5);
  await make("ACTIVE", 2, "MACOS");
  await make("INACTIVE", 1);
  await make("ENROLLING", 1, "ANDROID");
  await make("RETIRED", 3);
  await make("WIPED", 2);
});

describe("license usage", () => {
  it("counts every device not retired or wiped, with no limit by default", async () => {
    expect(await licenseUsage()).toEqual({ used: 9, total: null, level: "unlimited" });
  });

  it("warns from 90% and is full at (or over) the limit", async () => {
    expect(licenseLevel(8, 10)).toBe("ok");
    expect(licenseLevel(9, 10)).toBe("warning");
    expect(licenseLevel(10, 10)).toBe("full");
    expect(licenseLevel(12, 10)).toBe("full");
    expect(licenseLevel(1000, null)).toBe("unlimited");
    await limit(10);
    expect(await licenseUsage()).toEqual({ used: 9, total: 10, level: "warning" });
    await limit(9);
    expect((await licenseUsage()).level).toBe("full");
    await limit(200);
    expect((await licenseUsage()).level).toBe("ok");
  });
});

describe("the banner on every admin page", () => {
  it("counts nothing without a limit, tells full and over with the real numbers", async () => {
    expect(await licensesFull()).toBeNull();
    await limit(10);
    expect(await licensesFull()).toBeNull();
    await limit(9);
    expect(await licensesFull()).toEqual({ used: 9, total: 9 });
    await limit(4);
    expect(await licensesFull()).toEqual({ used: 9, total: 4 });
  });
});

describe("enrolling beyond the limit", () => {
  it("is refused once every license is in use, and allowed again when a device is retired", async () => {
    await limit(9);
    await expect(assertLicensesFor(1)).rejects.toMatchObject({ code: "licenses.limitReached", params: { used: 9, total: 9 } });
    await expect(createEnrollment({}, admin, ctx)).rejects.toMatchObject({ code: "licenses.limitReached" });
    expect(await prisma().enrollment.count()).toBe(0);
    await prisma().device.updateMany({ where: { udid: "ACTIVE-0" }, data: { status: "RETIRED" } });
    await expect(createEnrollment({}, admin, ctx)).resolves.toMatchObject({ profileToken: expect.any(String) });
  });

  it("refuses more links at once than licenses are left", async () => {
    await limit(12);
    await expect(assertLicensesFor(3)).resolves.toBeUndefined();
    await expect(assertLicensesFor(4)).rejects.toMatchObject({ code: "licenses.notEnough", params: { count: 4, remaining: 3, total: 12 } });
  });

  it("is refused when the number was lowered below the devices already enrolled", async () => {
    await limit(5);
    await expect(assertLicensesFor(1)).rejects.toMatchObject({ code: "licenses.limitReached", params: { used: 9, total: 5 } });
  });

  it("is never refused without a limit", async () => {
    await expect(assertLicensesFor(100)).resolves.toBeUndefined();
    await limit(null);
    await expect(createEnrollment({}, admin, ctx)).resolves.toBeDefined();
  });
});
