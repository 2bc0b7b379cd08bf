"use client";

import { ActionForm } from "@/components/action-form";
import { startSignup } from "./actions";

/** "Sign up with Google": on success the browser goes to Google's signup page. */
export function SignupForm({ submitLabel, pendingLabel, children }: { submitLabel: string; pendingLabel: string; children: React.ReactNode }) {
  return (
    <ActionForm action={startSignup} submitLabel={submitLabel} pendingLabel={pendingLabel} testId="android-signup" onSuccess={(s) => s.data?.url && window.location.assign(s.data.url)}>
      {children}
    </ActionForm>
  );
}
