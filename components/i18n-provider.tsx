"use client";

import { createContext, useContext, useMemo } from "react";
import type { Locale, Params } from "@/lib/i18n";

type Tree = { [k: string]: string | Tree };
const Ctx = createContext<{ locale: Locale; messages: Tree } | null>(null);

export function I18nProvider({ locale, messages, children }: { locale: Locale; messages: Tree; children: React.ReactNode }) {
  const value = useMemo(() => ({ locale, messages }), [locale, messages]);
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
