import { describe, expect, it } from "vitest";
import { detectPlatform } from "@/lib/invitations/platform";
import { invitationMail } from "@/lib/invitations/messages";
import { invitationState } from "@/lib/invitations/service";

const vars = { name: "佐藤 花子", email: "hanako@example.jp", link: "https://mdm.example.jp/go?invite=abc", go: "https://mdm.example.jp/go", pin: "042917", pinUntil: "2026/12/01 9:00", until: "2026/12/10 9:00" };

describe("platform from the user agent", () => {
  it("tells iPhone, iPad, Mac and Android apart", () => {
    expect(detectPlatform("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1")).toBe("IOS");
    expect(detectPlatform("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15")).toBe("IOS");
    expect(detectPlatform("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15")).toBe("MACOS");
    expect(detectPlatform("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36")).toBe("ANDROID");
    expect(detectPlatform("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")).toBeNull();
    expect(detectPlatform(null)).toBeNull();
  });
});

describe("invitation mail", () => {
  it("is Japanese by default and English on request, with the link, PIN and steps", () => {
    const ja = invitationMail(null, vars);
    expect(ja.subject).toBe("[Mamori] デバイス登録のご案内");
    expect(ja.text).toContain("佐藤 花子 様");
    expect(ja.text).toContain(vars.link);
    expect(ja.text).toContain("ワンタイム PIN: 042917");
    expect(ja.text).toContain("iPhone / iPad");
    const en = invitationMail("en", { ...vars, pin: null });
    expect(en.subject).toBe("[Mamori] Enroll your device");
    expect(en.text).not.toContain("PIN:");
    expect(en.text).toContain("Sign in with your email address and password.");
  });

  it("escapes what it puts into HTML", () => {
    const m = invitationMail("en", { ...vars, name: "<script>x</script>" });
    expect(m.html).not.toContain("<script>");
    expect(m.html).toContain("&#60;script&#62;");
  });

  it("reminders point to /go and never carry a PIN", () => {
    const r = invitationMail("ja", { ...vars, link: vars.go, pin: null }, true);
    expect(r.subject).toContain("まだ完了していません");
    expect(r.text).toContain(vars.go);
    expect(r.text).toContain("最初の招待メールの PIN");
  });
});

describe("invitation state", () => {
  const base = { enrolledAt: null, revokedAt: null, openedAt: null, expiresAt: new Date("2026-12-10T00:00:00Z") };
  const now = new Date("2026-12-01T00:00:00Z");
  it("is enrolled, replaced, expired, opened or sent, in that order", () => {
    expect(invitationState(base, now)).toBe("sent");
    expect(invitationState({ ...base, openedAt: now }, now)).toBe("opened");
    expect(invitationState({ ...base, expiresAt: now }, now)).toBe("expired");
    expect(invitationState({ ...base, revokedAt: now, expiresAt: now }, now)).toBe("revoked");
    expect(invitationState({ ...base, enrolledAt: now, revokedAt: now }, now)).toBe("enrolled");
  });
});
