"use client";

import { useRouter } from "next/navigation";

/**
 * The list's filter form: a plain GET form (works without JavaScript) that, with it, navigates
 * in the app and leaves empty fields out of the URL, so links stay short and readable.
 */
export function FilterForm({ children, className }: { children: React.ReactNode; className?: string }) {
  const router = useRouter();
  return (
    <form
      role="search"
      className={className}
      data-testid="device-filters"
      onSubmit={(e) => {
        e.preventDefault();
        const params = new URLSearchParams();
        for (const [k, v] of new FormData(e.currentTarget)) if (typeof v === "string" && v.trim() !== "") params.set(k, v.trim());
        const qs = params.toString();
        router.push(qs ? `?${qs}` : "?");
      }}
    >
      {children}
    </form>
  );
}
