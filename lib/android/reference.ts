import { randomInt } from "node:crypto";
import { prisma } from "@/lib/db/client";

// A failure a person reports: the end user sees only a short reference; the admin finds the same
// reference in the audit row with Google's reason.

/** The UserError codes that mean "Google's side failed" (lib/android/client.ts). */
export const GOOGLE_FAILURES = new Set(["android.network", "android.http", "android.authFailed", "android.forbidden", "android.notFound", "android.badRequest", "android.badResponse"]);

// No 0/O, 1/I/L: read aloud over the phone to the IT department.
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/** e.g. "A7K2-9QXM": about 40 bits, unique enough to find one row, short enough to read out. */
export function failureReference(): string {
  const c = () => ALPHABET[randomInt(ALPHABET.length)];
  return `${c()}${c()}${c()}${c()}-${c()}${c()}${c()}${c()}`;
}

export interface EnrollmentFailure {
  at: Date;
  reference: string;
  user: string | null;
  code: string;
  params: Record<string, string | number>;
}

/** The latest Android enrollment failures with their references, for the Android page. */
export async function recentEnrollmentFailures(take = 5): Promise<EnrollmentFailure[]> {
  const rows = await prisma().auditEvent.findMany({ where: { action: "android.enrollment_token", result: "FAILURE" }, orderBy: { at: "desc" }, take });
  return rows.flatMap((r) => {
    const d = (r.details ?? {}) as { reference?: unknown; code?: unknown; params?: unknown };
    if (typeof d.reference !== "string" || typeof d.code !== "string") return [];
    return [{ at: r.at, reference: d.reference, user: r.targetLabel, code: d.code, params: (d.params ?? {}) as Record<string, string | number> }];
  });
}
