"use client";

import { useActionState } from "react";
import { loginAction } from "./actions";
import { Field, FormAlert } from "@/components/field";
import { SubmitButton } from "@/components/submit-button";
import { useT } from "@/components/i18n-provider";

export function LoginForm({ callbackUrl, notice }: { callbackUrl?: string; notice?: string }) {
  const t = useT();
  const [state, action] = useActionState(loginAction, null);
  const fe = state?.fieldErrors ?? {};
  return (
    <form action={action} className="flex flex-col gap-4" noValidate>
      <FormAlert error={state?.error} message={state ? undefined : notice} />
      <input type="hidden" name="callbackUrl" value={callbackUrl ?? ""} />
      <Field label={t("login.email")} name="email" defaultValue={state?.values?.email} type="text" inputMode="email" autoCapitalize="none" spellCheck={false} autoComplete="username" required error={fe.email} />
      <Field label={t("login.password")} name="password" type="password" autoComplete="current-password" required error={fe.password} />
      <SubmitButton label={t("login.submit")} pendingLabel={t("login.pending")} />
    </form>
  );
}
