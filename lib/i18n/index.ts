import en from "./messages/en.json";
import ja from "./messages/ja.json";

export const LOCALES = ["ja", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "ja";
export const LOCALE_COOKIE = "mamori_locale";
export const TIME_ZONE_COOKIE = "mamori_tz";

type Tree = { [k: string]: string | Tree };
const CATALOGS: Record<Locale, Tree> = { en, ja };

export function isLocale(v: unknown): v is Locale {
  return typeof v === "string" && (LOCALES as readonly string[]).includes(v);
}

/** Picks the best supported locale from an Accept-Language header, honouring q-values. */
export function matchLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(",")
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { tag: (tag ?? "").toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1, i };
    })
    .filter((x) => x.tag && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const base = tag.split("-")[0];
    if (isLocale(base)) return base;
  }
  return DEFAULT_LOCALE;
}

function lookup(tree: Tree, key: string): string | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of key.split(".")) {
    if (typeof node !== "object") return undefined;
    node = node[part];
  }
  return typeof node === "string" ? node : undefined;
}

export type Params = Record<string, string | number>;
export type T = (key: string, params?: Params) => string;

export function translator(locale: Locale): T {
  return (key, params) => {
    const text = lookup(CATALOGS[locale], key) ?? lookup(CATALOGS.en, key) ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m)) : text;
  };
}

export function catalog(locale: Locale): Tree {
  return CATALOGS[locale];
}

/** Every key in a catalog, dotted; used by the tests that keep both languages complete. */
export function keysOf(tree: Tree = CATALOGS.en, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === "string" ? [prefix + k] : keysOf(v, prefix + k + ".")));
}

// One formatter per (locale, zone, style), made once: a new Intl.DateTimeFormat per date was the
// largest single cost in profiles of the admin pages (each list row formats a date).
const formatters = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(date: Date, locale: Locale, timeZone: string, style: "short" | "medium" = "medium"): string {
  const key = `${locale}|${timeZone}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale === "ja" ? "ja-JP" : "en-US", { dateStyle: style, timeStyle: "short", timeZone });
    // Zones come from a validated cookie; still, never let the map grow without bound.
    if (formatters.size > 500) formatters.clear();
    formatters.set(key, f);
  }
  return f.format(date);
}

const knownZones = new Set<string>();

export function isTimeZone(tz: unknown): tz is string {
  if (typeof tz !== "string" || tz.length > 64) return false;
  if (knownZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    if (knownZones.size < 1000) knownZones.add(tz);
    return true;
  } catch {
    return false;
  }
}
