"use client";

import { useTransition } from "react";
import { useRouter } from "next/navigation";
import { useT } from "@/components/i18n-provider";

/**
 * The list's filter form: a plain GET form (works without JavaScript) that, with it, navigates
 * in the app and leaves empty fields out of the URL, so links stay short and readable.
 */
export function FilterForm({ children, className }: { children: React.ReactNode; className?: string }) {
  const t = useT();
  const router = useRouter();
  const [pending, start] = useTransition();
  return (
    <form
      role="search"
      className={className}
      data-testid="device-filters"
      aria-busy={pending}
      onSubmit={(e) => {
        e.preventDefault();
        const params = new URLSearchParams();
        for (const [k, v] of new FormData(e.currentTarget)) if (typeof v === "string" && v.trim() !== "") params.set(k, v.trim());
        const qs = params.toString();
        start(() => router.push(qs ? `?${qs}` : "?"));
      }}
    >
      {children}
      {pending && <p role="status" className="text-sm text-slate-600">{t("common.loading")}</p>}
    </form>
  );
}
