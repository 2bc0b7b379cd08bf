import { prisma, type PrismaClient } from "@/lib/db/client";
import type { MailMessage } from "@/lib/db/generated/client";
import { audit } from "@/lib/audit";
import { sendMail } from "@/lib/mail";
import { getSetting } from "@/lib/settings";
import { defaultTimeZone } from "@/lib/config";
import { expiryMail, type Kind, type MailLanguage } from "./messages";

// Expiry notices for the certificates and tokens Mamori depends on. Each (thing, stage) is
// mailed once: the ExpiryNotice row is inserted before sending and only its inserter sends,
// so several instances, overlapping runs and restarts cannot mail twice.

const DAY_MS = 86_400_000;
/** Stage number of the "has expired" notice; thresholds are 1..365, so 0 is free. */
export const EXPIRED = 0;
/** Resend accepts at most 50 recipients per mail. */
const MAX_TO = 50;
const SYSTEM = { id: null, label: "system" } as const;

export interface ExpiringItem {
  kind: Kind;
  /** Identifies this particular certificate/token, so a renewed one starts its own series. */
  id: string;
  label: string;
  notAfter: Date;
  daysLeft: number;
  /** Push certificates: the Apple ID that must renew it. */
  appleId?: string;
}

export interface SentNotice {
  item: ExpiringItem;
  /** The threshold in days, or EXPIRED (0). */
  threshold: number;
  mails: MailMessage[];
}

/** Whole days until notAfter, rounded down: 0 in its last 24 hours, negative once expired. */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

type Db = PrismaClient;
type Provider = (db: Db) => Promise<Omit<ExpiringItem, "daysLeft">[]>;

const pushCertificates: Provider = async (db) =>
  (await db.pushCertificate.findMany({ where: { status: "ACTIVE" }, orderBy: { notAfter: "asc" } })).map((c) => ({
    kind: "pushCertificate",
    id: c.fingerprint,
    label: c.topic,
    notAfter: c.notAfter,
    appleId: c.appleId || undefined,
  }));

const adeToken: Provider = async (db) => {
  const t = await db.adeToken.findUnique({ where: { id: 1 } });
  if (!t?.accessTokenExpiry) return [];
  // A new token from Apple Business Manager has a new expiry, which keeps its notices apart.
  return [{
    kind: "adeToken",
    id: `${t.consumerKey ?? "ade"}@${t.accessTokenExpiry.toISOString()}`,
    label: t.orgName ?? t.consumerKey ?? "Apple Business Manager",
    notAfter: t.accessTokenExpiry,
  }];
};

const certificateAuthorities: Provider = async (db) =>
  (await db.certificateAuthority.findMany({ orderBy: { purpose: "asc" } })).map((c) => ({
    kind: "ca",
    id: c.fingerprint,
    label: c.subject,
    notAfter: c.notAfter,
  }));

/** Everything that expires. */
const PROVIDERS: Provider[] = [pushCertificates, adeToken, certificateAuthorities];

export async function expiringItems(now: Date, db: Db = prisma()): Promise<ExpiringItem[]> {
  const lists = await Promise.all(PROVIDERS.map((p) => p(db)));
  return lists.flat().map((i) => ({ ...i, daysLeft: daysLeft(i.notAfter, now) }));
}

/** Stages reached by now, most distant first, so the last one is the one to mail. */
function dueStages(days: number, thresholds: number[]): number[] {
  const due = thresholds.filter((t) => days <= t).sort((a, b) => b - a);
  if (days < 0) due.push(EXPIRED);
  return due;
}

/**
 * Records every due stage in one statement; true when this call inserted the last (most
 * urgent) one and so must send it. Bigger stages are recorded as done without a mail: a
 * certificate uploaded with 10 days left gets the 14-day notice only.
 */
async function claim(db: Db, item: ExpiringItem, due: number[]): Promise<boolean> {
  const rows = await db.$queryRaw<{ threshold: number }[]>`
    INSERT INTO expiry_notices (kind, subject_id, threshold)
    SELECT ${item.kind}, ${item.id}, t FROM unnest(${due}::int[]) AS t
    ON CONFLICT DO NOTHING
    RETURNING threshold`;
  return rows.some((r) => r.threshold === due.at(-1));
}

/** Every mail failed: give the stage back so the next run tries again. */
async function release(db: Db, item: ExpiringItem, stage: number): Promise<void> {
  await db.expiryNotice.delete({ where: { kind_subjectId_threshold: { kind: item.kind, subjectId: item.id, threshold: stage } } });
}

export interface Group {
  to: string[];
  language: MailLanguage;
}

/** Configured addresses get one bilingual mail; otherwise each admin in their own language. */
export async function recipientGroups(configured: string[], db: Db = prisma()): Promise<Group[]> {
  if (configured.length) return chunk(configured).map((to) => ({ to, language: "both" }));
  const admins = await db.user.findMany({
    where: { role: "ADMIN", disabled: false },
    select: { email: true, locale: true },
    orderBy: { email: "asc" },
  });
  const byLanguage = new Map<MailLanguage, string[]>();
  for (const a of admins) {
    // No language chosen yet: both, as for a configured address.
    const lang: MailLanguage = a.locale === "ja" || a.locale === "en" ? a.locale : "both";
    byLanguage.set(lang, [...(byLanguage.get(lang) ?? []), a.email]);
  }
  return [...byLanguage].flatMap(([language, list]) => chunk(list).map((to) => ({ to, language })));
}

function chunk(list: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < list.length; i += MAX_TO) out.push(list.slice(i, i + MAX_TO));
  return out;
}

function formatInZone(d: Date, timeZone: string): { date: string; dateTime: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(d).map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return { date, dateTime: `${date} ${parts.hour}:${parts.minute}` };
}

/** Sends the notices that are due at `now`; returns what was sent (or kept in the outbox). */
export async function runExpiryNotices(now: Date, db: Db = prisma()): Promise<SentNotice[]> {
  const items = await expiringItems(now, db);
  if (!items.length) return [];
  const { recipients, thresholds } = await getSetting("notifications", db);
  const groups = await recipientGroups(recipients, db);
  // Nobody to tell: claim nothing, so the notice goes out once someone can receive it.
  if (!groups.length) return [];
  const timeZone = defaultTimeZone();
  const sent: SentNotice[] = [];
  for (const item of items) {
    const due = dueStages(item.daysLeft, thresholds);
    if (!due.length || !(await claim(db, item, due))) continue;
    const threshold = due.at(-1)!;
    const vars = { ...formatInZone(item.notAfter, timeZone), timeZone, label: item.label, daysLeft: item.daysLeft, expired: threshold === EXPIRED, appleId: item.appleId };
    const mails: MailMessage[] = [];
    for (const g of groups) mails.push(await sendMail({ to: g.to, ...expiryMail(g.language, item.kind, vars) }, db));
    if (mails.every((m) => m.status === "FAILED")) await release(db, item, threshold);
    for (const m of mails) {
      await audit({
        actor: SYSTEM,
        action: "expiry.notice",
        result: m.status === "FAILED" ? "FAILURE" : "SUCCESS",
        target: { type: item.kind, id: item.id, label: item.label },
        details: { threshold, daysLeft: item.daysLeft, notAfter: item.notAfter.toISOString(), mailId: m.id, status: m.status, to: m.to },
      }, db);
    }
    sent.push({ item, threshold, mails });
  }
  return sent;
}
