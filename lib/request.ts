import { headers } from "next/headers";

/**
 * The client's address. scripts/server.mjs replaces X-Forwarded-For with the one address it
 * trusts (the socket, or what MAMORI_TRUSTED_PROXIES hops of proxies reported), so the first
 * entry is the client's.
 */
export function clientAddress(h: Headers): string | null {
  const v = h.get("x-forwarded-for")?.split(",")[0]?.trim();
  return v ? v.slice(0, 64) : null;
}

export async function requestContext() {
  const h = await headers();
  return { ip: clientAddress(h), userAgent: h.get("user-agent") };
}
