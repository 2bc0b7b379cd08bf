import type { T } from "@/lib/i18n";

export const EXPIRY_RED_DAYS = 60;
const DAY = 86_400_000;

/** Whole days left until notAfter, rounded down; negative once it has passed. */
export function daysUntil(notAfter: Date, now = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY);
}

/** "N days left" (red at 60 or less) or "Expired" in red. */
export function DaysLeft({ notAfter, t, now }: { notAfter: Date; t: T; now?: Date }) {
  const days = daysUntil(notAfter, now);
  const expired = notAfter.getTime() <= (now ?? new Date()).getTime();
  const red = expired || days <= EXPIRY_RED_DAYS;
  return (
    <span data-testid="days-left" data-red={red ? "true" : "false"} className={red ? "font-semibold text-red-700" : "text-brand-700"}>
      {expired ? t("certificates.expired") : t("certificates.daysLeft", { days })}
    </span>
  );
}
