import { cache } from "react";
import { cookies, headers } from "next/headers";
import { defaultTimeZone } from "@/lib/config";
import {
  formatDateTime, isLocale, isTimeZone, matchLocale, translator,
  LOCALE_COOKIE, TIME_ZONE_COOKIE, type Locale,
} from "./index";

/** The chosen language (cookie), else the browser's (Accept-Language). */
export const getLocale = cache(async (): Promise<Locale> => {
  const chosen = (await cookies()).get(LOCALE_COOKIE)?.value;
  if (isLocale(chosen)) return chosen;
  return matchLocale((await headers()).get("accept-language"));
});

export const getTimeZone = cache(async (): Promise<string> => {
  const tz = (await cookies()).get(TIME_ZONE_COOKIE)?.value;
  return isTimeZone(tz) ? tz : defaultTimeZone();
});

export async function getT() {
  return translator(await getLocale());
}

export async function getFormatter() {
  const [locale, tz] = [await getLocale(), await getTimeZone()];
  return (d: Date, style: "short" | "medium" = "medium") => formatDateTime(d, locale, tz, style);
}
