"use client";

import { useState } from "react";
import { ActionForm } from "@/components/action-form";
import { useT } from "@/components/i18n-provider";
import { myQrAction } from "./actions";

/** The QR code appears after a tap: a token is made (and audited) only when someone wants one. */
export function QrForm() {
  const t = useT();
  const [qr, setQr] = useState<Record<string, string> | null>(null);
  return (
    <>
      {qr && (
        <>
          <div className="mx-auto mt-3 w-56 max-w-full" role="img" aria-label={t("myEnroll.qrAlt")} dangerouslySetInnerHTML={{ __html: qr.svg! }} />
          <p className="mt-2 text-center text-xs text-slate-600">{t("myEnroll.qrValid", { date: qr.until! })}</p>
          <p className="sr-only" data-testid="qr-url">{qr.url}</p>
        </>
      )}
      <ActionForm action={myQrAction} submitLabel={t("myEnroll.showQr")} pendingLabel={t("myEnroll.showingQr")} variant="secondary" testId="my-qr-form" className="mt-3 flex flex-col gap-3" onSuccess={(s) => setQr(s.data ?? null)} />
    </>
  );
}
