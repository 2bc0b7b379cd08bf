"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useT } from "@/components/i18n-provider";

/**
 * The list's filter bar: a plain GET form (works without JavaScript) that, with it, applies a
 * choice as soon as it is made (a list, a tick) or committed (Enter, or leaving a text field),
 * navigates in the app and leaves empty fields out of the URL, so links stay short and readable.
 */
export function FilterForm({ children, className }: { children: React.ReactNode; className?: string }) {
  const t = useT();
  const router = useRouter();
  const pathname = usePathname();
  const current = useSearchParams().toString();
  const [pending, start] = useTransition();
  const form = useRef<HTMLFormElement>(null);

  const apply = () => {
    if (!form.current) return;
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form.current)) if (typeof v === "string" && v.trim() !== "") params.set(k, v.trim());
    const qs = params.toString();
    // Enter in a text field both commits it (change) and submits: navigate once.
    if (qs === current) return;
    start(() => router.push(qs ? `${pathname}?${qs}` : pathname));
  };
  const applyRef = useRef(apply);
  useEffect(() => {
    applyRef.current = apply;
  });

  // The form is not remounted when the URL changes (that would take the focus and close "More
  // filters" in the middle of a choice): back, forward and "clear" bring the fields in line here.
  useEffect(() => {
    const params = new URLSearchParams(current);
    for (const el of Array.from(form.current?.elements ?? []) as HTMLInputElement[]) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el === document.activeElement) continue;
      if (el.type === "checkbox") el.checked = params.get(el.name) === el.value;
      else el.value = params.get(el.name) ?? "";
    }
  }, [current]);

  useEffect(() => {
    const el = form.current;
    if (!el) return;
    // The native change event: lists and ticks on choice, text fields on commit (not every key).
    const onChange = (e: Event) => {
      const target = e.target as HTMLInputElement;
      if (target.type === "number" && !target.checkValidity()) return;
      applyRef.current();
    };
    el.addEventListener("change", onChange);
    el.dataset.ready = "1"; // choices apply from now on (tests wait for it)
    return () => el.removeEventListener("change", onChange);
  }, []);

  return (
    <form
      ref={form}
      role="search"
      className={className}
      data-testid="device-filters"
      aria-busy={pending}
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      {children}
      <p role="status" className="sr-only">{pending ? t("common.loading") : ""}</p>
    </form>
  );
}

/** Rows per page: applied on choice, back to the first page. */
export function PageSizeSelect({ sizes, size, params, label }: { sizes: readonly number[]; size: number; params: Record<string, string>; label: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const [pending, start] = useTransition();
  return (
    <label className="flex items-center gap-2 text-sm text-slate-700">
      {label}
      <select
        className="min-h-9 rounded-lg border border-slate-300 bg-white px-2"
        value={size}
        aria-busy={pending}
        data-testid="page-size"
        onChange={(e) => {
          const next = new URLSearchParams(params);
          next.delete("page");
          if (e.target.value === "50") next.delete("size");
          else next.set("size", e.target.value);
          const qs = next.toString();
          start(() => router.push(qs ? `${pathname}?${qs}` : pathname));
        }}
      >
        {sizes.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
    </label>
  );
}

/** "More filters": open when one of them is in use; never closed under the admin's hand. */
export function MoreFilters({ inUse, summary, children }: { inUse: boolean; summary: string; children: React.ReactNode }) {
  const [open, setOpen] = useState(inUse);
  useEffect(() => {
    if (inUse) setOpen(true);
  }, [inUse]);
  return (
    <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)} className="text-sm" data-testid="more-filters">
      <summary className="w-fit cursor-pointer rounded font-medium text-brand-700">{summary}</summary>
      {children}
    </details>
  );
}
