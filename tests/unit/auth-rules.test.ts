import { describe, expect, it } from "vitest";
import { hashPassword, passwordProblem, verifyPassword } from "@/lib/auth/password";
import { safeCallback } from "@/lib/navigation";

describe("password rules", () => {
  it("accepts a long passphrase and refuses weak ones with the rule broken", () => {
    expect(passwordProblem("correct horse battery")).toBeNull();
    expect(passwordProblem("short")).toBe("password.tooShort");
    expect(passwordProblem("x".repeat(129))).toBe("password.tooLong");
    expect(passwordProblem("Password123")).toBe("password.tooCommon");
    expect(passwordProblem("aaaaaaaaaaaa")).toBe("password.tooCommon");
    expect(passwordProblem("taro.yamada-2026!", { email: "taro.yamada@example.jp" })).toBe("password.containsEmail");
    expect(passwordProblem("my name is Taro Yamada", { name: "Taro Yamada" })).toBe(null);
    expect(passwordProblem("taroyamada!!2026", { name: "Taro Yamada" })).toBe("password.containsName");
  });

  it("hashes with scrypt, salts every hash, and verifies in constant shape", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    expect(await verifyPassword("anything", null)).toBe(false);
  });

  it("treats full-width input the same as half-width (NFKC)", async () => {
    const h = await hashPassword("ｐａｓｓｗｏｒｄ－ｊａｐａｎ");
    expect(await verifyPassword("password-japan", h)).toBe(true);
  });
});

describe("callbackUrl after sign-in", () => {
  it("keeps only a local path the role may open", () => {
    expect(safeCallback("/admin/audit?page=2", "ADMIN")).toBe("/admin/audit?page=2");
    expect(safeCallback("https://evil.example/admin", "ADMIN")).toBe("/admin");
    expect(safeCallback("//evil.example/x", "ADMIN")).toBe("/");
    expect(safeCallback("/admin", "END_USER")).toBe("/");
    expect(safeCallback("/my", "ADMIN")).toBe("/");
    expect(safeCallback("/my", "END_USER")).toBe("/my");
    expect(safeCallback("/api/health", "ADMIN")).toBe("/");
    expect(safeCallback(undefined, "ADMIN")).toBe("/");
  });
});
