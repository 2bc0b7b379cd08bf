"use client";

import { useActionState, useEffect } from "react";
import { FormAlert } from "@/components/field";
import { SubmitButton } from "@/components/submit-button";
import { androidEnrollAction } from "../android-actions";

/**
 * Android on /go: "Enroll this phone" makes a one-time enrollment token and opens Google's
 * enrollment link; "another device" shows the QR code Android's setup wizard scans. Each
 * press makes its own token (they work once).
 */
export function AndroidEnroll({ labels }: { labels: { enroll: string; enrolling: string; qr: string; qrPending: string; qrHint: string; open: string } }) {
  const [link, linkAction, linkPending] = useActionState(androidEnrollAction, null);
  const [qr, qrAction, qrPending] = useActionState(androidEnrollAction, null);
  useEffect(() => {
    if (link?.ok && link.data?.url) window.location.assign(link.data.url);
  }, [link]);
  return (
    <div className="flex flex-col gap-4">
      <form action={linkAction} className="flex flex-col gap-2" aria-busy={linkPending}>
        <input type="hidden" name="mode" value="link" />
        <SubmitButton label={labels.enroll} pendingLabel={labels.enrolling} pending={linkPending} className="min-h-12 text-lg" data-testid="android-enroll" />
        {link && !link.ok && <FormAlert error={link.error} />}
        {link?.ok && link.data?.url && (
          <p role="status" className="text-sm">
            <a href={link.data.url} data-testid="android-enroll-link" className="text-brand-700 underline">{labels.open}</a>
          </p>
        )}
      </form>
      <form action={qrAction} className="flex flex-col gap-2" aria-busy={qrPending}>
        <input type="hidden" name="mode" value="qr" />
        <SubmitButton label={labels.qr} pendingLabel={labels.qrPending} pending={qrPending} variant="secondary" data-testid="android-qr" />
        {qr && !qr.ok && <FormAlert error={qr.error} />}
        {qr?.ok && qr.data?.qrSvg && (
          <figure className="flex flex-col items-center gap-2" role="status">
            <div className="w-64 max-w-full" data-testid="android-qr-code" dangerouslySetInnerHTML={{ __html: qr.data.qrSvg }} />
            <figcaption className="text-xs text-slate-600">{labels.qrHint}</figcaption>
          </figure>
        )}
      </form>
    </div>
  );
}
