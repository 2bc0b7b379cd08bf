// Statuses as badges: a tone per state, the same in every list and page; the text (a label,
// never the raw value) is the meaning, the colour only repeats it.

export type Tone = "ok" | "warn" | "bad" | "muted" | "neutral";

// Short class names (app/globals.css): a list of 200 rows repeats them in the HTML and again
// in the page's RSC payload.

export const DEVICE_TONE: Record<string, Tone> = { ACTIVE: "ok", ENROLLING: "neutral", INACTIVE: "warn", WIPED: "bad", RETIRED: "muted" };
export const COMMAND_TONE: Record<string, Tone> = { ACKNOWLEDGED: "ok", ERROR: "bad", NOT_NOW: "warn", EXPIRED: "muted", CANCELLED: "muted", QUEUED: "neutral", SENT: "neutral" };
export const MAIL_TONE: Record<string, Tone> = { SENT: "ok", OUTBOX: "warn", FAILED: "bad" };

export function Badge({ tone, children, testId }: { tone: Tone | undefined; children: React.ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${tone ?? "neutral"}`} data-testid={testId}>
      {children}
    </span>
  );
}
