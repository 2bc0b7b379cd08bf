import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { seal } from "@/lib/crypto";
import { UserError, isUserError } from "@/lib/errors";
import { pushDevice } from "@/lib/apns/push-service";
import { startJob, type Job } from "@/lib/jobs/progress";
import { JOB_KINDS } from "@/lib/jobs/kinds";
import { DEFAULT_EXPIRY_HOURS, SEALED, SECRET_KEYS, jsonSafe, redact, type BuiltCommand } from "./queue";
import type { ApplePlatform } from "./commands";
import type { Command } from "@/lib/db/generated/client";

// The one way commands enter the queue, for one device or a hundred thousand: a single
// INSERT … SELECT over the device ids, with eligibility (managed status, platform, enrollment
// profile) decided in the SQL and refusals counted by reason. Pushes for many devices run as
// a "push-devices" job; a single command still pushes at once.

/** Stands in a RemoveProfile for each device's own enrollment profile identifier (retire). */
export const ENROLLMENT_PROFILE = "$enrollmentProfile";
/** Most devices one bulk enqueue may name. */
export const ENQUEUE_MAX = 100_000;

/** Commands per platform; a UserError refuses that platform's devices with its reason. "*": any platform, unchecked. */
export type CommandsByPlatform = Partial<Record<ApplePlatform | "*", BuiltCommand[] | UserError>>;

export interface Refusal {
  /** i18n key (`errors.…`) with its params. */
  reason: string;
  params: Record<string, string | number>;
  count: number;
  /** A few device names, for the admin. */
  samples: string[];
}

export interface EnqueueResult {
  /** Devices that got their commands (or, with no commands, will be pushed). */
  deviceIds: string[];
  commandIds: string[];
  /** A few names of those devices. */
  samples: string[];
  refused: Refusal[];
}

interface Template {
  platform: string;
  requestType: string;
  payload: string;
  sealedBody: string | null;
}

function templates(commands: CommandsByPlatform): { rows: Template[]; allowed: string[]; platformErrors: Map<string, UserError> } {
  const rows: Template[] = [];
  const allowed: string[] = [];
  const platformErrors = new Map<string, UserError>();
  for (const [platform, list] of Object.entries(commands)) {
    if (list instanceof UserError) {
      platformErrors.set(platform, list);
      continue;
    }
    allowed.push(platform);
    for (const built of list ?? []) {
      const hasSecret = Object.keys(built.command).some((k) => SECRET_KEYS.has(k));
      rows.push({
        platform,
        requestType: built.requestType,
        payload: JSON.stringify(redact(built.command)),
        // One sealed body serves every device: the plaintext is the same for all of them.
        sealedBody: hasSecret ? seal(JSON.stringify(jsonSafe(built.command)), SEALED) : null,
      });
    }
  }
  return { rows, allowed, platformErrors };
}

/**
 * Inserts the commands for every eligible device of `deviceIds` in one statement. Refused:
 * unknown ids (device.notFound), retired or wiped devices (device.notManaged), platforms
 * without commands (mdm.notSupported or the platform's UserError), and for ENROLLMENT_PROFILE
 * devices without an enrollment (device.noEnrollmentProfile). Writes no audit event.
 */
export async function insertCommands(
  deviceIds: string[],
  commands: CommandsByPlatform,
  opts: { actor: Actor; expiresInHours?: number; batchId?: string },
): Promise<EnqueueResult> {
  const ids = [...new Set(deviceIds.map((id) => id.toLowerCase()))];
  const { rows, allowed, platformErrors } = templates(commands);
  const anyPlatform = allowed.includes("*");
  const needsProfile = rows.some((r) => r.payload.includes(JSON.stringify(ENROLLMENT_PROFILE)));
  const expiresAt = new Date(Date.now() + (opts.expiresInHours ?? DEFAULT_EXPIRY_HOURS) * 3_600_000);
  // Commands keep their order per device through seq: rows are inserted device by device, in list order.
  const result = await prisma().$queryRaw<{ refusal: string | null; platform: string | null; n: number; samples: string[]; ids: string[] | null; command_ids: string[] | null }[]>`
    WITH t AS (
      SELECT i.id, d.platform::text AS platform, e.profile_identifier,
        COALESCE(d.name, d.serial_number, d.udid, i.id::text) AS label,
        CASE
          WHEN d.id IS NULL THEN 'device.notFound'
          WHEN d.status IN ('RETIRED', 'WIPED') THEN 'device.notManaged'
          WHEN NOT ${anyPlatform} AND NOT (d.platform::text = ANY(${allowed}::text[])) THEN 'platform'
          WHEN ${needsProfile} AND e.profile_identifier IS NULL THEN 'device.noEnrollmentProfile'
        END AS refusal
      FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS i(id, pos)
      LEFT JOIN devices d ON d.id = i.id
      LEFT JOIN enrollments e ON e.id = d.enrollment_id
    ),
    c AS (
      SELECT * FROM unnest(${rows.map((r) => r.platform)}::text[], ${rows.map((r) => r.requestType)}::text[],
        ${rows.map((r) => r.payload)}::text[], ${rows.map((r) => r.sealedBody)}::text[]) WITH ORDINALITY AS c(platform, request_type, payload, sealed_body, ord)
    ),
    ins AS (
      INSERT INTO commands (id, device_id, request_type, payload, sealed_body, queued_by_label, expires_at, batch_id)
      SELECT gen_random_uuid(), t.id, c.request_type,
        CASE WHEN c.payload::jsonb->>'Identifier' = ${ENROLLMENT_PROFILE}
          THEN jsonb_set(c.payload::jsonb, '{Identifier}', to_jsonb(t.profile_identifier)) ELSE c.payload::jsonb END,
        c.sealed_body, ${opts.actor.label}, ${expiresAt}, ${opts.batchId ?? null}::uuid
      FROM t JOIN c ON c.platform = '*' OR c.platform = t.platform
      WHERE t.refusal IS NULL
      ORDER BY t.id, c.ord
      RETURNING id
    )
    SELECT t.refusal, CASE WHEN t.refusal = 'platform' THEN t.platform END AS platform, count(*)::int AS n,
      (array_agg(t.label ORDER BY t.label))[1:10] AS samples,
      CASE WHEN t.refusal IS NULL THEN array_agg(t.id::text) END AS ids,
      CASE WHEN t.refusal IS NULL THEN (SELECT array_agg(id::text) FROM ins) END AS command_ids
    FROM t GROUP BY 1, 2`;
  const out: EnqueueResult = { deviceIds: [], commandIds: [], samples: [], refused: [] };
  for (const r of result) {
    if (r.refusal === null) {
      out.deviceIds = r.ids ?? [];
      out.commandIds = r.command_ids ?? [];
      out.samples = r.samples;
      continue;
    }
    let reason = r.refusal;
    let params: Record<string, string | number> = {};
    if (reason === "platform") {
      // Android has no MDM commands at all; an Apple platform left out carries its own reason.
      const err = platformErrors.get(r.platform ?? "") ?? new UserError("mdm.notSupported", r.platform === "ANDROID" ? { command: "MDM", platform: "Android" } : { command: rows[0]?.requestType ?? "MDM", platform: r.platform ?? "" });
      reason = err.code;
      params = err.params;
    }
    out.refused.push({ reason: `errors.${reason}`, params, count: r.n, samples: r.samples });
  }
  out.refused.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return out;
}

/**
 * Queues one command for one device (with its push, unless `push: false`) and audits it as
 * "command.enqueue". Throws UserError device.notFound / device.notManaged.
 */
export async function enqueueCommand(
  deviceId: string,
  built: BuiltCommand,
  opts: { actor: Actor; ip?: string | null; userAgent?: string | null; expiresInHours?: number; push?: boolean },
): Promise<Command> {
  const r = await insertCommands([deviceId], { "*": [built] }, opts);
  const refusal = r.refused[0];
  if (refusal) throw new UserError(refusal.reason.replace(/^errors\./, ""), refusal.params);
  const cmd = await prisma().command.findUniqueOrThrow({ where: { id: r.commandIds[0]! } });
  await audit({ actor: opts.actor, action: "command.enqueue", target: { type: "device", id: cmd.deviceId, label: r.samples[0] }, details: { requestType: built.requestType, commandUuid: cmd.id }, ip: opts.ip, userAgent: opts.userAgent });
  // The command is durable; the push only wakes the device, so nobody waits for Apple.
  if (opts.push !== false) void pushDevice(cmd.deviceId).catch((e) => console.error("push failed", e));
  return cmd;
}

export interface BulkEnqueueResult extends EnqueueResult {
  /** The job that pushes the devices, when there is any to push. */
  job: Job | null;
}

/**
 * Queues commands for many devices (at most ENQUEUE_MAX), writes one audit event for the whole
 * operation (`action`, with the counts and the caller's `details` such as the filter), and
 * hands the pushes to a push-devices job. Returns at once with what was queued.
 */
export async function bulkEnqueue(
  deviceIds: string[],
  commands: CommandsByPlatform,
  opts: {
    actor: Actor; ip?: string | null; userAgent?: string | null; action: string; details?: Record<string, unknown>; expiresInHours?: number;
    /** Marks the run's commands so its outcome can be followed (lib/devices/bulk-outcome.ts). */
    batchId?: string;
    /** The same run's devices handled elsewhere (Android, through Google): counted in the one audit event. */
    also?: { devices: number; queued: number; refused: Refusal[]; jobId: string | null };
  },
): Promise<BulkEnqueueResult> {
  if (deviceIds.length > ENQUEUE_MAX) throw new UserError("device.bulkTooMany", { count: deviceIds.length, max: ENQUEUE_MAX });
  const r = await insertCommands(deviceIds, commands, opts);
  const refused: Record<string, number> = {};
  for (const x of [...r.refused, ...(opts.also?.refused ?? [])]) refused[x.reason] = (refused[x.reason] ?? 0) + x.count;
  const requestTypes = [...new Set(Object.values(commands).flatMap((l) => (l instanceof UserError ? [] : (l ?? []).map((b) => b.requestType))))];
  let job: Job | null = null;
  let pushError: unknown;
  if (r.deviceIds.length) {
    try {
      job = await startJob(JOB_KINDS.push, opts.actor, { action: opts.action, devices: r.deviceIds.length, commands: requestTypes }, { deviceIds: r.deviceIds }, r.deviceIds.length);
    } catch (e) {
      // The commands are queued either way; devices fetch them at their next check-in.
      pushError = e;
      console.error("push job could not be queued", e);
    }
  }
  await audit({
    actor: opts.actor,
    action: opts.action,
    result: r.deviceIds.length + (opts.also?.queued ?? 0) ? "SUCCESS" : "FAILURE",
    target: { type: "device", label: String(deviceIds.length + (opts.also?.devices ?? 0)) },
    details: {
      ...opts.details,
      commands: requestTypes,
      devices: deviceIds.length + (opts.also?.devices ?? 0),
      queued: r.deviceIds.length + (opts.also?.queued ?? 0),
      commandsQueued: r.commandIds.length,
      ...(opts.also && { android: { queued: opts.also.queued, jobId: opts.also.jobId } }),
      refused,
      ...(job && { jobId: job.id }),
      ...(opts.batchId && { batchId: opts.batchId }),
      ...(pushError !== undefined && { pushJob: isUserError(pushError) ? pushError.code : "failed" }),
    },
    ip: opts.ip,
    userAgent: opts.userAgent,
  });
  return { ...r, job };
}
