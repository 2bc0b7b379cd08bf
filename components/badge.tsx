// Statuses as badges: a tone per state, the same in every list and page; the text (a label,
// never the raw value) is the meaning, the colour only repeats it.

export type Tone = "ok" | "warn" | "bad" | "muted" | "neutral";

const TONE: Record<Tone, string> = {
  ok: "bg-brand-50 text-brand-800 ring-brand-200",
  warn: "bg-amber-50 text-amber-900 ring-amber-200",
  bad: "bg-red-50 text-red-800 ring-red-200",
  muted: "bg-slate-50 text-slate-600 ring-slate-200",
  neutral: "bg-slate-100 text-slate-800 ring-slate-200",
};

export const DEVICE_TONE: Record<string, Tone> = { ACTIVE: "ok", ENROLLING: "neutral", INACTIVE: "warn", WIPED: "bad", RETIRED: "muted" };
export const COMMAND_TONE: Record<string, Tone> = { ACKNOWLEDGED: "ok", ERROR: "bad", NOT_NOW: "warn", EXPIRED: "muted", CANCELLED: "muted", QUEUED: "neutral", SENT: "neutral" };
export const MAIL_TONE: Record<string, Tone> = { SENT: "ok", OUTBOX: "warn", FAILED: "bad" };

export function Badge({ tone, children, testId }: { tone: Tone | undefined; children: React.ReactNode; testId?: string }) {
  return (
    <span className={`inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONE[tone ?? "neutral"]}`} data-testid={testId}>
      {children}
    </span>
  );
}
