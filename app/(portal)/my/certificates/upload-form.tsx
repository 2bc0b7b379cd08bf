"use client";

import { ActionForm } from "@/components/action-form";
import { Field, SelectField } from "@/components/field";
import { uploadCertificate } from "./actions";

/** The "add a certificate" form (client side: ActionForm needs the action reference here). */
export function UploadForm({ purposes, labels }: {
  purposes: { value: string; label: string }[];
  labels: Record<"purpose" | "choose" | "file" | "fileHint" | "password" | "name" | "nameHint" | "submit" | "pending", string>;
}) {
  return (
    <ActionForm action={uploadCertificate} submitLabel={labels.submit} pendingLabel={labels.pending} testId="usercert-upload">
      <SelectField
        label={labels.purpose}
        name="purpose"
        required
        defaultValue={purposes.length === 1 ? purposes[0]!.value : ""}
        options={[...(purposes.length > 1 ? [["", labels.choose] as const] : []), ...purposes.map((p) => [p.value, p.label] as const)]}
      />
      <Field label={labels.file} name="file" type="file" accept=".p12,.pfx,application/x-pkcs12" hint={labels.fileHint} required />
      <Field label={labels.password} name="password" type="password" autoComplete="off" />
      <Field label={labels.name} name="name" maxLength={100} autoComplete="off" hint={labels.nameHint} />
    </ActionForm>
  );
}
