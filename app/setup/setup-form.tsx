"use client";

import { useActionState } from "react";
import { setupAction } from "./actions";
import { Field, FormAlert } from "@/components/field";
import { SubmitButton } from "@/components/submit-button";
import { useT } from "@/components/i18n-provider";

export function SetupForm() {
  const t = useT();
  const [state, action] = useActionState(setupAction, null);
  const fe = state?.fieldErrors ?? {};
  return (
    <form action={action} className="flex flex-col gap-4" noValidate>
      <FormAlert error={state?.error} />
      <Field label={t("setup.name")} name="name" defaultValue={state?.values?.name} autoComplete="name" required maxLength={100} error={fe.name} />
      <Field label={t("setup.email")} name="email" defaultValue={state?.values?.email} type="email" autoComplete="email" required error={fe.email} />
      <Field label={t("setup.password")} name="password" type="password" autoComplete="new-password" required minLength={10} hint={t("setup.passwordHint", { min: 10 })} error={fe.password} />
      <Field label={t("setup.confirm")} name="confirm" type="password" autoComplete="new-password" required error={fe.confirm} />
      <SubmitButton label={t("setup.submit")} pendingLabel={t("setup.pending")} />
    </form>
  );
}
