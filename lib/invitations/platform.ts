import type { Platform } from "@/lib/db/generated/enums";

/**
 * The platform whose steps /go shows, from the browser's user agent. iPadOS Safari asks for
 * desktop pages and says "Macintosh": the Mac steps name the iPad too, and the user can switch.
 */
export function detectPlatform(userAgent: string | null | undefined): Platform | null {
  const ua = userAgent ?? "";
  if (/Android/i.test(ua)) return "ANDROID";
  if (/iPhone|iPad|iPod/i.test(ua)) return "IOS";
  if (/Macintosh|Mac OS X/i.test(ua)) return "MACOS";
  return null;
}

export const GO_COOKIE = "mamori_go";
