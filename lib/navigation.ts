/**
 * A callbackUrl may carry another origin: keep only a local path, and only one the role may
 * open. Anything else goes to "/", which routes by role.
 */
export function safeCallback(raw: unknown, role: "ADMIN" | "END_USER"): string {
  if (typeof raw !== "string" || raw.length > 2000) return "/";
  let url: URL;
  try {
    url = new URL(raw, "http://localhost");
  } catch {
    return "/";
  }
  const path = url.pathname + url.search;
  if (!path.startsWith("/") || path.startsWith("//")) return "/";
  const area = url.pathname.split("/")[1];
  if (area === "admin" && role !== "ADMIN") return "/";
  if (area === "my" && role !== "END_USER") return "/";
  if (area !== "admin" && area !== "my" && area !== "enroll") return "/";
  return path;
}
