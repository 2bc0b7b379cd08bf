"use client";

import { useActionState } from "react";
import { useFormStatus } from "react-dom";
import { setLocale } from "@/app/actions/preferences";
import { LOCALES } from "@/lib/i18n";
import { useLocale, useT } from "./i18n-provider";

function Choice({ value, current, label }: { value: string; current: string; label: string }) {
  const { pending } = useFormStatus();
  return (
    <button
      type="submit"
      name="locale"
      value={value}
      lang={value}
      aria-pressed={value === current}
      disabled={pending}
      className="min-h-9 rounded-md px-2 py-1 text-sm aria-pressed:bg-slate-800 aria-pressed:text-white hover:bg-slate-200 aria-pressed:hover:bg-slate-800 disabled:opacity-60"
    >
      {label}
    </button>
  );
}

export function LocaleSwitcher() {
  const t = useT();
  const locale = useLocale();
  const [, action] = useActionState(setLocale, null);
  return (
    <form action={action} aria-label={t("locale.switch")} className="flex items-center gap-1">
      {LOCALES.map((l) => <Choice key={l} value={l} current={locale} label={t(`locale.${l}`)} />)}
    </form>
  );
}
