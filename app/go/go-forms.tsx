"use client";

import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { useT } from "@/components/i18n-provider";
import { goContinueAction, goPasswordAction, goPinAction, goSetPasswordAction } from "./actions";
import { PASSWORD_MAX, PASSWORD_MIN } from "@/lib/auth/password-rules";

export function GoPinForm({ email }: { email?: string }) {
  const t = useT();
  return (
    <ActionForm action={goPinAction} submitLabel={t("go.pinSubmit")} pendingLabel={t("go.checking")} testId="go-pin-form">
      <Field label={t("go.email")} name="email" type="email" autoComplete="username" defaultValue={email} required />
      <Field label={t("go.pin")} name="pin" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]*" maxLength={12} required hint={t("go.pinHint")} />
    </ActionForm>
  );
}

export function GoPasswordForm({ email }: { email?: string }) {
  const t = useT();
  return (
    <ActionForm action={goPasswordAction} submitLabel={t("go.passwordSubmit")} pendingLabel={t("go.checking")} testId="go-password-form" variant="secondary">
      <Field label={t("login.email")} name="email" type="text" inputMode="email" autoCapitalize="none" spellCheck={false} autoComplete="username" defaultValue={email} required />
      <Field label={t("go.password")} name="password" type="password" autoComplete="current-password" required />
    </ActionForm>
  );
}

export function GoSetPasswordForm({ email }: { email: string }) {
  const t = useT();
  return (
    <ActionForm action={goSetPasswordAction} submitLabel={t("go.setPasswordSubmit")} pendingLabel={t("go.saving")} testId="go-set-password-form">
      <input type="hidden" name="username" autoComplete="username" value={email} readOnly />
      <Field label={t("go.newPassword")} name="password" type="password" autoComplete="new-password" required hint={t("go.passwordRules", { rules: t("common.passwordRules", { min: PASSWORD_MIN, max: PASSWORD_MAX }) })} />
      <Field label={t("go.confirmPassword")} name="confirm" type="password" autoComplete="new-password" required />
    </ActionForm>
  );
}

export function GoContinueForm({ email }: { email: string }) {
  const t = useT();
  return <ActionForm action={goContinueAction} submitLabel={t("go.continueAs", { email })} pendingLabel={t("go.checking")} testId="go-continue-form" />;
}
