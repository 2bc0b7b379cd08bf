import { prisma } from "@/lib/db/client";
import { expiryRows } from "@/lib/expiry/rows";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { configuredPublicUrl } from "@/lib/settings";
import { mailTransport } from "@/lib/mail/status";

// The setup checklist: what a real iPhone needs before it can enroll (an https public address
// that answers, a valid push certificate, a way to send mail) and the steps after it, read from
// the real state every time. The dashboard shows it until the required items are done;
// /admin/setup-status shows it always. Each item links to the page that fixes it.

export const CHECKLIST_ITEMS = ["publicUrl", "pushCertificate", "mail", "users", "firstDevice", "ade", "android"] as const;
export type ChecklistKey = (typeof CHECKLIST_ITEMS)[number];
/** done; todo (required, missing); warning (works for a trial only); optional (not needed, not set). */
export type ItemState = "done" | "todo" | "warning" | "optional";

export interface ChecklistItem {
  key: ChecklistKey;
  state: ItemState;
  /** Which sentence says the state: setup.items.<key>.states.<detail>. */
  detail: string;
  href: string;
  params?: Record<string, string | number>;
  required: boolean;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
const DAY = 86_400_000;

/** Why a public address cannot reach real devices, or null when it can: https and not loopback. */
export function publicUrlProblem(url: string | null): "notSet" | "notHttps" | "loopback" | "invalid" | null {
  if (!url) return "notSet";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "invalid";
  }
  if (LOOPBACK.has(u.hostname)) return "loopback";
  if (u.protocol !== "https:") return "notHttps";
  return null;
}

/** A trial set up with MAMORI_ALLOW_HTTP_MDM=1: http and loopback addresses are allowed, with a warning. */
export const httpAllowed = () => process.env.MAMORI_ALLOW_HTTP_MDM === "1";

/** `counts`: the caller's own counts when it has them (the dashboard's fleet and user counts). */
export async function setupChecklist(now = new Date(), counts: { activeAppleDevices?: number; activeEndUsers?: number } = {}): Promise<ChecklistItem[]> {
  const { activeAppleDevices, activeEndUsers } = counts;
  const [url, push, mail, endUsers, devices, ade, android] = await Promise.all([
    configuredPublicUrl(),
    expiryRows().then((r) => r.push), // the dashboard's expiry cards read the same row: once per request
    mailTransport(),
    activeEndUsers ?? prisma().user.count({ where: { role: "END_USER", disabled: false } }),
    activeAppleDevices ?? prisma().device.count({ where: { status: "ACTIVE", platform: { in: ["IOS", "MACOS"] } } }),
    prisma().adeToken.findUnique({ where: { id: 1 }, select: { credentialsSealed: true, accessTokenExpiry: true } }),
    prisma().androidEnterprise.findUnique({ where: { id: 1 }, select: { enterpriseName: true } }),
  ]);
  const items: ChecklistItem[] = [];

  const urlProblem = publicUrlProblem(url);
  items.push({
    key: "publicUrl", required: true, href: "/admin/settings", params: { url: url ?? "" },
    ...(urlProblem === null ? { state: "done", detail: "ok" } : httpAllowed() && urlProblem !== "notSet" && urlProblem !== "invalid" ? { state: "warning", detail: "trial" } : { state: "todo", detail: urlProblem }),
  });

  const pushDays = push ? Math.floor((push.notAfter.getTime() - now.getTime()) / DAY) : 0;
  items.push({
    key: "pushCertificate", required: true, href: "/admin/certificates/push", params: { days: pushDays },
    ...(!push ? { state: "todo", detail: "missing" } : push.unusableAt ? { state: "todo", detail: "refused" } : pushDays < 0 ? { state: "todo", detail: "expired" } : pushDays <= 60 ? { state: "warning", detail: "expiring" } : { state: "done", detail: "ok" }),
  });

  items.push({
    key: "mail", required: true, href: "/admin/settings", params: { transport: mail.transport },
    ...(mail.transport === "outbox" ? { state: "todo", detail: "outbox" } : mail.lastTestOk ? { state: "done", detail: "tested" } : { state: "warning", detail: "untested" }),
  });

  items.push({ key: "users", required: true, href: "/admin/users", params: { count: endUsers }, ...(endUsers ? { state: "done", detail: "ok" } : { state: "todo", detail: "none" }) });
  items.push({ key: "firstDevice", required: true, href: "/admin/enrollment", params: { count: devices }, ...(devices ? { state: "done", detail: "ok" } : { state: "todo", detail: "none" }) });

  const adeSet = Boolean(ade?.credentialsSealed);
  const adeExpired = adeSet && ade?.accessTokenExpiry && ade.accessTokenExpiry <= now;
  items.push({ key: "ade", required: false, href: "/admin/certificates/ade", ...(!adeSet ? { state: "optional", detail: "notSet" } : adeExpired ? { state: "todo", detail: "expired" } : { state: "done", detail: "ok" }) });
  items.push({ key: "android", required: false, href: "/admin/android", params: { enterprise: android?.enterpriseName ?? "" }, ...(android ? { state: "done", detail: "ok" } : { state: "optional", detail: "notSet" }) });
  return items;
}

/** Every required item done: the dashboard stops showing the checklist. */
export const checklistComplete = (items: ChecklistItem[]) => items.every((i) => !i.required || i.state === "done");

/**
 * The live half of the public-address item: does `<url>/api/health` answer as Mamori's health
 * check does, from here? (It reaches this server back through the load balancer or proxy.)
 */
export async function checkPublicUrl(url: string | null, timeoutMs = 5000): Promise<{ ok: boolean; detail: string }> {
  if (!url) return { ok: false, detail: "notSet" };
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(timeoutMs), redirect: "error", cache: "no-store" });
    const body = (await res.json().catch(() => null)) as { status?: unknown; database?: unknown } | null;
    if (!res.ok || !body || typeof body.status !== "string" || !body.database) return { ok: false, detail: `HTTP ${res.status}` };
    return { ok: true, detail: body.status };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    return { ok: false, detail: (e as Error).name === "TimeoutError" ? "timeout" : (cause?.code ?? (e as Error).message).slice(0, 100) };
  }
}

/**
 * The base of a link that leaves Mamori (invitation, QR code, reminder): refused, with a clear
 * reason and a DENIED audit row, when no real device could follow it (http or this computer's
 * own address), unless MAMORI_ALLOW_HTTP_MDM=1 marks a trial. Returns the URL when it may go out.
 */
export async function deliverableBase(url: string, what: string, actor: Actor, ctx: { ip: string | null; userAgent: string | null }): Promise<string> {
  const problem = publicUrlProblem(url);
  if (!problem || httpAllowed()) return url;
  await audit({ actor, action: what, result: "DENIED", details: { reason: "publicUrl", problem, url }, ...ctx });
  throw new UserError(`links.${problem}`, { url });
}
