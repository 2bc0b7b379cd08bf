import type { T } from "@/lib/i18n";
import { daysLeft } from "@/lib/expiry";

export const EXPIRY_RED_DAYS = 60;

/** "N days left" (red at 60 or less) or "Expired" in red. */
export function DaysLeft({ notAfter, t, now = new Date() }: { notAfter: Date; t: T; now?: Date }) {
  const days = daysLeft(notAfter, now);
  const expired = notAfter.getTime() <= now.getTime();
  const red = expired || days <= EXPIRY_RED_DAYS;
  return (
    <span data-testid="days-left" data-red={red ? "true" : "false"} className={red ? "font-semibold text-red-700" : "text-brand-700"}>
      {expired ? t("certificates.expired") : t("certificates.daysLeft", { days })}
    </span>
  );
}
