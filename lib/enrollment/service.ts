import { isUuid } from "@/lib/ids";
import { randomUUID } from "node:crypto";
import { prisma, type PrismaClient } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { UserError } from "@/lib/errors";
import { assertLicensesFor } from "@/lib/licenses";
import type { Platform } from "@/lib/db/generated/enums";
import { hashSecret, newSecret } from "./tokens";

// An enrollment is one device's way in: a profile link valid a few minutes and once, whose
// download mints a single-use SCEP challenge bound to this enrollment.

export function profileLinkMinutes(): number {
  const n = Number(process.env.MAMORI_PROFILE_LINK_MINUTES);
  return Number.isInteger(n) && n > 0 ? n : 10;
}

/** The SCEP challenge must outlive the profile install, which may wait for the user. */
export const CHALLENGE_MINUTES = 60;

export interface NewEnrollment {
  id: string;
  profileToken: string;
  expiresAt: Date;
}

export async function createEnrollment(
  input: { userId?: string | null; platform?: Platform | null },
  actor: Actor,
  ctx: { ip: string | null; userAgent: string | null },
  now = new Date(),
): Promise<NewEnrollment> {
  if (input.userId && !(await prisma().user.findUnique({ where: { id: input.userId } }))) throw new UserError("enrollment.unknownUser");
  // No new way in once every contracted device license is in use.
  await assertLicensesFor(1);
  const { secret, hash } = newSecret();
  const id = randomUUID();
  const expiresAt = new Date(now.getTime() + profileLinkMinutes() * 60_000);
  await prisma().enrollment.create({
    data: {
      id,
      userId: input.userId ?? null,
      platform: input.platform ?? null,
      profileTokenHash: hash,
      profileExpiresAt: expiresAt,
      profileIdentifier: `jp.mamori.enrollment.${id}`,
      createdByLabel: actor.label,
    },
  });
  await audit({ actor, action: "enrollment.create", target: { type: "enrollment", id, label: input.userId ?? undefined }, details: { platform: input.platform ?? null, expiresAt: expiresAt.toISOString() }, ...ctx });
  return { id, profileToken: secret, expiresAt };
}

export type EnrollmentStage = "waiting" | "downloaded" | "enrolled" | "expired";

/** Where an enrollment stands, for the lists on the enrollment page and the dashboard. */
export function enrollmentStage(e: { profileUsedAt: Date | null; profileExpiresAt: Date; devices: unknown[] }, now = new Date()): EnrollmentStage {
  if (e.devices.length) return "enrolled";
  if (e.profileUsedAt) return "downloaded";
  return e.profileExpiresAt.getTime() > now.getTime() ? "waiting" : "expired";
}

/**
 * Uses a profile link: valid once and only until it expires (one atomic UPDATE, so two
 * downloads racing cannot both win). Returns the enrollment and a fresh SCEP challenge.
 */
export async function redeemProfileToken(token: string, now = new Date(), db: Pick<PrismaClient, "$queryRaw" | "enrollment"> = prisma()) {
  const { secret: challenge, hash: challengeHash } = newSecret();
  const challengeExpiresAt = new Date(now.getTime() + CHALLENGE_MINUTES * 60_000);
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE enrollments SET profile_used_at = ${now}, challenge_hash = ${challengeHash}, challenge_expires_at = ${challengeExpiresAt}
    WHERE profile_token_hash = ${hashSecret(token)} AND profile_used_at IS NULL AND profile_expires_at > ${now}
    RETURNING id`;
  if (!rows[0]) {
    const known = await db.enrollment.findUnique({ where: { profileTokenHash: hashSecret(token) }, select: { profileUsedAt: true } });
    throw new UserError(known?.profileUsedAt ? "enrollment.linkUsed" : "enrollment.linkInvalid");
  }
  const enrollment = await db.enrollment.findUniqueOrThrow({ where: { id: rows[0].id } });
  return { enrollment, challenge };
}

/** Why a profile link would be refused, without spending it (null: it would work). */
export async function profileLinkProblem(token: string, now = new Date()): Promise<"enrollment.linkUsed" | "enrollment.linkInvalid" | null> {
  const e = await prisma().enrollment.findUnique({ where: { profileTokenHash: hashSecret(token) }, select: { profileUsedAt: true, profileExpiresAt: true } });
  if (e?.profileUsedAt) return "enrollment.linkUsed";
  return !e || e.profileExpiresAt <= now ? "enrollment.linkInvalid" : null;
}

/**
 * Spends a SCEP challenge (once, before it expires) for the enrollment it was made for; returns
 * that enrollment's id or null. A request naming another enrollment spends nothing.
 */
export async function consumeChallenge(challenge: string, enrollmentId: string, now = new Date()): Promise<string | null> {
  if (!isUuid(enrollmentId)) return null;
  const rows = await prisma().$queryRaw<{ id: string }[]>`
    UPDATE enrollments SET challenge_used_at = ${now}
    WHERE challenge_hash = ${hashSecret(challenge)} AND id = ${enrollmentId}::uuid AND challenge_used_at IS NULL AND challenge_expires_at > ${now}
    RETURNING id`;
  return rows[0]?.id ?? null;
}
