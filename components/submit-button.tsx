"use client";

import { useFormStatus } from "react-dom";

/** A submit button that shows the pending label and blocks double submits while the action runs. */
export function SubmitButton({ label, pendingLabel, className = "", variant = "primary", pending: pendingProp, ...rest }: {
  label: string;
  pendingLabel: string;
  /** For forms submitted without the action prop, where useFormStatus cannot see the action. */
  pending?: boolean;
  className?: string;
  variant?: "primary" | "secondary" | "danger";
} & Omit<React.ButtonHTMLAttributes<HTMLButtonElement>, "type">) {
  const status = useFormStatus();
  const pending = pendingProp ?? status.pending;
  const styles = {
    primary: "bg-brand-600 text-white hover:bg-brand-700",
    secondary: "bg-white text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100",
    danger: "bg-red-600 text-white hover:bg-red-700",
  }[variant];
  return (
    <button
      type="submit"
      disabled={pending || rest.disabled}
      aria-busy={pending}
      className={`inline-flex min-h-11 items-center justify-center gap-2 rounded-lg px-4 py-2 font-medium disabled:opacity-60 ${styles} ${className}`}
      {...rest}
    >
      {pending && <span aria-hidden className="size-4 animate-spin rounded-full border-2 border-current border-t-transparent" />}
      {pending ? pendingLabel : label}
    </button>
  );
}
