"use client";

import { startTransition, useActionState } from "react";
import { setupAction } from "./actions";
import { Field, FormAlert } from "@/components/field";
import { SubmitButton } from "@/components/submit-button";
import { useT } from "@/components/i18n-provider";
import { PASSWORD_MAX, PASSWORD_MIN } from "@/lib/auth/password-rules";

export function SetupForm() {
  const t = useT();
  const [state, action] = useActionState(setupAction, null);
  const fe = state?.fieldErrors ?? {};
  return (
    // Submitted through onSubmit, not the action prop: React resets a form after an action-prop
    // submission, and a refused setup must keep what was typed (both passwords included).
    <form
      className="flex flex-col gap-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => action(data));
      }}
    >
      <FormAlert error={state?.error} />
      <Field label={t("setup.name")} name="name" defaultValue={state?.values?.name} autoComplete="name" required maxLength={100} error={fe.name} />
      <Field label={t("setup.email")} name="email" defaultValue={state?.values?.email} type="email" autoComplete="email" required error={fe.email} />
      <Field label={t("setup.password")} name="password" type="password" autoComplete="new-password" required minLength={PASSWORD_MIN} hint={t("common.passwordRules", { min: PASSWORD_MIN, max: PASSWORD_MAX })} error={fe.password} />
      <Field label={t("setup.confirm")} name="confirm" type="password" autoComplete="new-password" required error={fe.confirm} />
      <SubmitButton label={t("setup.submit")} pendingLabel={t("setup.pending")} />
    </form>
  );
}
