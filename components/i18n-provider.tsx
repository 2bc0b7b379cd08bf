"use client";

import { createContext, useContext, useMemo } from "react";
import { catalog, type Locale, type Params } from "@/lib/i18n";

type Tree = { [k: string]: string | Tree };
const Ctx = createContext<{ locale: Locale; messages: Tree } | null>(null);

/**
 * The catalogs travel in this component's JavaScript chunk (downloaded once, cached by the
 * browser), not as a prop: a prop is serialized into every page and every refresh, and the
 * Japanese catalog alone is 160 KB.
 */
export function I18nProvider({ locale, children }: { locale: Locale; children: React.ReactNode }) {
  const value = useMemo(() => ({ locale, messages: catalog(locale) }), [locale]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useT() {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error("useT outside I18nProvider");
  return (key: string, params?: Params) => {
    let node: string | Tree | undefined = ctx.messages;
    for (const part of key.split(".")) node = typeof node === "object" ? node[part] : undefined;
    const text = typeof node === "string" ? node : key;
    return params ? text.replace(/\{(\w+)\}/g, (m, p: string) => (p in params ? String(params[p]) : m)) : text;
  };
}

export function useLocale(): Locale {
  return useContext(Ctx)?.locale ?? "ja";
}
