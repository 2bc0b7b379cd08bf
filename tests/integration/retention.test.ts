import { beforeEach, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { finishedJob, startTestJobs } from "../support/jobs";
import { prisma } from "@/lib/db/client";
import { pruneExpired } from "@/lib/retention";
import { saveSetting } from "@/lib/settings";
import { sendJob } from "@/lib/jobs/queue";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import { jobView } from "@/lib/jobs/view";
import { translator } from "@/lib/i18n";

// The retention setting and the prune job on a real database: what is older than the setting
// goes, what is newer stays, and unfinished commands are never pruned however old.

useOwnDatabase();
const DAY = 86_400_000;
const NOW = new Date("2027-03-01T00:00:00Z");
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const keep = { commandDays: 30, auditDays: 60, ticketDays: 7, rateLimitDays: 1, mailDays: 14 };
const actor = { id: null, label: "admin@example.jp" };

let deviceId: string;
let userId: string;

async function seed() {
  const sql = (q: string, ...v: unknown[]) => prisma().$executeRawUnsafe(q, ...v);
  // Commands of every status, at 40 days (older than 30) and 10 days (newer).
  for (const [i, status] of ["QUEUED", "SENT", "NOT_NOW", "ACKNOWLEDGED", "ERROR", "EXPIRED", "CANCELLED"].entries()) {
    for (const age of [40, 10]) {
      await sql(
        `INSERT INTO commands (id, device_id, request_type, payload, status, queued_by_label, created_at, expires_at)
         VALUES (gen_random_uuid(), $1::uuid, 'DeviceInformation', '{}', $2::"CommandStatus", 't', $3, $3)`,
        deviceId, status, ago(age + i / 100),
      );
    }
  }
  for (const age of [61, 59]) await sql(`INSERT INTO audit_events (at, actor_label, action, result) VALUES ($1, 't', 'test.event', 'SUCCESS')`, ago(age));
  // Tickets: expired 8 days ago (goes), used 8 days ago (goes), used 2 days ago (stays), open (stays).
  const tickets: [Date, Date | null][] = [[ago(8), null], [ago(-5), ago(8)], [ago(-5), ago(2)], [ago(-5), null]];
  for (const [n, [expires, used]] of tickets.entries()) {
    await sql(`INSERT INTO enrollment_tickets (id, user_id, kind, token_hash, expires_at, used_at, created_by_label) VALUES (gen_random_uuid(), $1::uuid, 'go', $2, $3, $4, 't')`, userId, `t${n}`, expires, used);
    await sql(`INSERT INTO email_changes (id, user_id, new_email, token_hash, expires_at, used_at) VALUES (gen_random_uuid(), $1::uuid, 'x@example.jp', $2, $3, $4)`, userId, `e${n}`, expires, used);
  }
  for (const [k, age] of [["old", 2], ["new", 0.5]] as const) await sql(`INSERT INTO rate_limits (key, count, window_start) VALUES ($1, 1, $2)`, k, ago(age));
  for (const age of [15, 13]) await sql(`INSERT INTO mail_messages (id, "to", "from", subject, text, status, created_at) VALUES (gen_random_uuid(), '{a@example.jp}', 'm', 's', 'v1.x', 'OUTBOX', $1)`, ago(age));
}

beforeEach(async () => {
  for (const t of ["commands", "audit_events", "enrollment_tickets", "email_changes", "rate_limits", "mail_messages", "devices", "users", "settings", "jobs"]) {
    await prisma().$executeRawUnsafe(`DELETE FROM ${t}`);
  }
  userId = (await prisma().user.create({ data: { email: "hanako@example.jp", displayName: "Hanako", role: "END_USER" } })).id;
  deviceId = (await prisma().device.create({ data: { udid: "RET-1", platform: "IOS", status: "ACTIVE", ownerId: userId } })).id;
  await saveSetting("retention", keep, actor, { ip: null, userAgent: null });
  await prisma().$executeRawUnsafe(`DELETE FROM audit_events`); // the settings save's own row
  await seed();
});

describe("pruneExpired", () => {
  it("deletes what is older than each setting and keeps the rest; unfinished commands stay however old", async () => {
    const out = await pruneExpired(NOW, undefined, 2);
    expect(out).toEqual({ commands: 4, auditEvents: 1, tickets: 4, rateLimits: 1, mails: 1 });
    const left = await prisma().command.findMany({ select: { status: true, createdAt: true } });
    expect(left.filter((c) => c.createdAt < ago(30)).map((c) => c.status).sort()).toEqual(["NOT_NOW", "QUEUED", "SENT"]);
    expect(left.filter((c) => c.createdAt > ago(30))).toHaveLength(7);
    expect(await prisma().auditEvent.count()).toBe(1);
    expect((await prisma().enrollmentTicket.findMany({ orderBy: { tokenHash: "asc" } })).map((t) => t.tokenHash)).toEqual(["t2", "t3"]);
    expect((await prisma().emailChange.findMany({ orderBy: { tokenHash: "asc" } })).map((t) => t.tokenHash)).toEqual(["e2", "e3"]);
    expect((await prisma().rateLimit.findMany()).map((r) => r.key)).toEqual(["new"]);
    expect(await prisma().mailMessage.count()).toBe(1);
    // Nothing left to do: a second run deletes nothing.
    expect(await pruneExpired(NOW)).toEqual({ commands: 0, auditEvents: 0, tickets: 0, rateLimits: 0, mails: 0 });
  });

  it("two instances pruning at once delete each row once, and together all of it", async () => {
    const [a, b] = await Promise.all([pruneExpired(NOW, undefined, 1), pruneExpired(NOW, undefined, 1)]);
    for (const k of Object.keys(a) as (keyof typeof a)[]) expect(a[k]! + b[k]!).toBe({ commands: 4, auditEvents: 1, tickets: 4, rateLimits: 1, mails: 1 }[k]);
    expect(await pruneExpired(NOW)).toEqual({ commands: 0, auditEvents: 0, tickets: 0, rateLimits: 0, mails: 0 });
  });

  it("runs as the nightly job, with its progress and outcome on a jobs row the admin reads", async () => {
    // The job prunes against the real clock: move the seeded rows into the real past.
    const shift = Date.now() - NOW.getTime();
    for (const [t, c] of [["commands", "created_at"], ["audit_events", "at"], ["rate_limits", "window_start"], ["mail_messages", "created_at"]]) {
      await prisma().$executeRawUnsafe(`UPDATE ${t} SET ${c} = ${c} + make_interval(secs => $1)`, shift / 1000);
    }
    for (const t of ["enrollment_tickets", "email_changes"]) {
      await prisma().$executeRawUnsafe(`UPDATE ${t} SET expires_at = expires_at + make_interval(secs => $1), used_at = used_at + make_interval(secs => $1)`, shift / 1000);
    }
    await startTestJobs();
    await sendJob(JOB_KINDS.retention, {});
    let row = null;
    for (let i = 0; i < 200 && !row; i++) {
      row = await prisma().job.findFirst({ where: { kind: JOB_KINDS.retention } });
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    const done = await finishedJob(row!.id);
    expect(done).toMatchObject({ status: "DONE", done: 11, outcome: { commands: 4, auditEvents: 1, tickets: 4, rateLimits: 1, mails: 1 } });
    const summary = jobView(done, translator("en")).summary!.split(" · ").sort();
    expect(summary).toEqual(["1 audit events deleted", "1 mails deleted", "1 rate-limit counters deleted", "4 commands deleted", "4 tickets deleted"]);
    expect(jobView(done, translator("ja")).summary).not.toContain("jobs.outcome");
  });
});
