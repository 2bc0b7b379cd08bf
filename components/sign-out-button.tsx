"use client";

import { signOutAction } from "@/app/actions/session";
import { SubmitButton } from "./submit-button";
import { useT } from "./i18n-provider";

export function SignOutButton() {
  const t = useT();
  return (
    <form action={signOutAction}>
      <SubmitButton variant="secondary" className="min-h-9 px-3 py-1 text-sm" label={t("common.signOut")} pendingLabel={t("common.signingOut")} />
    </form>
  );
}
