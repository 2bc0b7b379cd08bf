import { describe, expect, it } from "vitest";
import { isUuid } from "@/lib/ids";

describe("isUuid", () => {
  it("takes canonical UUIDs in either case and nothing else", () => {
    expect(isUuid("3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b")).toBe(true);
    expect(isUuid("3F2B8C1E-9A4D-4E6F-8B2A-1C3D5E7F9A0B")).toBe(true);
    // 36 characters of the right alphabet are not enough: they would reach a uuid column and fail there.
    expect(isUuid("-".repeat(36))).toBe(false);
    expect(isUuid("3f2b8c1e9a4d4e6f8b2a1c3d5e7f9a0b")).toBe(false);
    expect(isUuid("3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0bx")).toBe(false);
    expect(isUuid(" 3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b")).toBe(false);
    expect(isUuid(undefined)).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
