"use client";

import { startTransition, useActionState, useEffect, useRef } from "react";
import type { ActionState } from "@/lib/auth/guard";
import { FormAlert } from "./field";
import { SubmitButton } from "./submit-button";
import { JobProgress } from "./job-progress";
import { FieldErrors } from "./field-errors";

/**
 * A form bound to a server action made with the guard's action.*: shows the pending label while it
 * runs, then the localized error or success message. Submitted through onSubmit rather than
 * the action prop so a refused form keeps what was typed and chosen (React resets forms
 * after an action-prop submission); it is cleared only on success. When the action started a
 * job (`jobId`), its progress follows the message.
 */
const NONE: Record<string, string> = {};

export function ActionForm({ action, submitLabel, pendingLabel, variant, children, className = "flex flex-col gap-3", testId, onSuccess, buttonClassName }: {
  action: (prev: ActionState, form: FormData) => Promise<ActionState>;
  submitLabel: string;
  pendingLabel: string;
  variant?: "primary" | "secondary" | "danger";
  children?: React.ReactNode;
  className?: string;
  testId?: string;
  /** Called once per successful submission, e.g. to follow what it queued. */
  onSuccess?: (state: NonNullable<ActionState>) => void;
  buttonClassName?: string;
}) {
  const [state, dispatch, pending] = useActionState(action, null);
  const form = useRef<HTMLFormElement>(null);
  const seen = useRef<ActionState>(null);
  useEffect(() => {
    if (!state?.ok || seen.current === state) return;
    seen.current = state;
    form.current?.reset();
    onSuccess?.(state);
  }, [state, onSuccess]);
  return (
    <form
      ref={form}
      className={className}
      data-testid={testId}
      noValidate
      aria-busy={pending}
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => dispatch(data));
      }}
    >
      <FormAlert error={state?.error} message={state?.ok ? state.message : undefined} />
      {/* A started job shows its progress right here; keyed so a new run starts a new follower. */}
      {state?.jobId && <JobProgress key={state.jobId} jobId={state.jobId} />}
      {/* Every field's error at once, beside its field (components/field.tsx reads them). */}
      <FieldErrors.Provider value={(!state?.ok && state?.fieldErrors) || NONE}>{children}</FieldErrors.Provider>
      <div><SubmitButton label={submitLabel} pendingLabel={pendingLabel} variant={variant} pending={pending} className={buttonClassName} /></div>
    </form>
  );
}
