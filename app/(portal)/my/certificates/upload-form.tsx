"use client";

import { useId } from "react";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { uploadCertificate } from "./actions";

/** The "add a certificate" form (client side: ActionForm needs the action reference here). */
export function UploadForm({ purposes, labels }: {
  purposes: { value: string; label: string }[];
  labels: Record<"purpose" | "choose" | "file" | "fileHint" | "password" | "name" | "nameHint" | "submit" | "pending", string>;
}) {
  const id = useId();
  return (
    <ActionForm action={uploadCertificate} submitLabel={labels.submit} pendingLabel={labels.pending} testId="usercert-upload">
      <div className="flex flex-col gap-1">
        <label htmlFor={id} className="text-sm font-medium text-slate-800">{labels.purpose}</label>
        <select id={id} name="purpose" required defaultValue={purposes.length === 1 ? purposes[0]!.value : ""} className="min-h-11 rounded-lg border border-slate-300 bg-white px-3 py-2 text-base">
          {purposes.length > 1 && <option value="">{labels.choose}</option>}
          {purposes.map((p) => <option key={p.value} value={p.value}>{p.label}</option>)}
        </select>
      </div>
      <Field label={labels.file} name="file" type="file" accept=".p12,.pfx,application/x-pkcs12" hint={labels.fileHint} required />
      <Field label={labels.password} name="password" type="password" autoComplete="off" />
      <Field label={labels.name} name="name" maxLength={100} autoComplete="off" hint={labels.nameHint} />
    </ActionForm>
  );
}
