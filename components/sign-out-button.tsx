"use client";

import { useActionState } from "react";
import { signOutAction } from "@/app/actions/session";
import { SubmitButton } from "./submit-button";
import { useT } from "./i18n-provider";

export function SignOutButton() {
  const t = useT();
  const [, signOut] = useActionState(signOutAction, null);
  return (
    <form action={signOut}>
      <SubmitButton variant="secondary" className="min-h-9 px-3 py-1 text-sm" label={t("common.signOut")} pendingLabel={t("common.signingOut")} />
    </form>
  );
}
