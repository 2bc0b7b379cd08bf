import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { open, openString, seal } from "@/lib/crypto";

describe("seal/open (AES-256-GCM)", () => {
  it("round-trips text and binary", () => {
    expect(openString(seal("パスワード", "p12"), "p12")).toBe("パスワード");
    const bin = Buffer.from([0, 1, 2, 255]);
    expect(open(seal(bin, "key"), "key")).toEqual(bin);
  });
  it("uses a fresh IV every time", () => {
    expect(seal("same", "c")).not.toBe(seal("same", "c"));
  });
  it("refuses another context, a flipped bit and a foreign format", () => {
    const s = seal("secret", "push-key");
    expect(() => open(s, "other")).toThrow();
    const raw = Buffer.from(s.slice(3), "base64");
    raw[raw.length - 1]! ^= 1;
    expect(() => open("v1." + raw.toString("base64"), "push-key")).toThrow();
    expect(() => open("plain", "push-key")).toThrow(/format/);
  });
  it("opens with MAMORI_DATA_KEY_NEXT while a rotation is unfinished, and seals with the current key", () => {
    const next = randomBytes(32);
    const underNext = seal("rotated", "c", next);
    expect(() => open(underNext, "c")).toThrow();
    process.env.MAMORI_DATA_KEY_NEXT = next.toString("base64");
    try {
      expect(openString(underNext, "c")).toBe("rotated");
      expect(() => open(seal("fresh", "c"), "c", [next])).toThrow();
    } finally {
      delete process.env.MAMORI_DATA_KEY_NEXT;
    }
  });
});
