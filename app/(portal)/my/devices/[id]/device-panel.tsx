"use client";

import { useCallback, useState } from "react";
import { usePoll } from "@/components/use-poll";
import { Field } from "@/components/field";
import { ActionForm } from "@/components/action-form";
import { useLocale, useT } from "@/components/i18n-provider";
import type { ActionState } from "@/lib/auth/guard";
import type { PortalAction } from "@/lib/privacy";
import type { PortalDeviceStatus } from "@/lib/portal/devices";
import { PLATFORM_LABEL, type Unavailable } from "@/lib/devices/action-table";
import type { Platform } from "@/lib/db/generated/client";
import { phoneMapLinks } from "@/lib/portal/map";
import * as act from "./actions";
import type { PortalActionState } from "./actions";

export type Offer = { action: PortalAction; unavailable: Unavailable | null };

/** Reasons the page does not explain: the device's state of the moment says them. */
const UNSAID: readonly Unavailable[] = ["notManaged", "needsLostMode", "inLostMode"];

type Action = (prev: ActionState, form: FormData) => Promise<ActionState>;
const ACTIONS: Record<PortalAction, Action> = {
  checkIn: act.checkInMine,
  lock: act.lockMine,
  unlock: act.unlockMine,
  locate: act.locateMine,
  lostModeOff: act.lostModeOffMine,
  wipe: act.wipeMine,
  retire: act.retireMine,
};

const FINAL = new Set(["done", "failed", "cancelled"]);
const POLL_MS = 2500;

/** A form bound to a portal action that reports what it queued, so the page can follow it. */
function PortalForm({ action, label, pending, variant, onQueued, children, testId }: {
  action: PortalAction;
  label: string;
  pending: string;
  variant: "primary" | "secondary" | "danger";
  onQueued: (s: PortalActionState) => void;
  children?: React.ReactNode;
  testId: string;
}) {
  return (
    <ActionForm
      action={ACTIONS[action]}
      submitLabel={label}
      pendingLabel={pending}
      variant={variant}
      testId={testId}
      className="flex flex-col gap-3 [&_[data-testid=form-message]]:whitespace-pre-line"
      buttonClassName="w-full"
      onSuccess={(state) => onQueued(state as PortalActionState)}
    >
      {children}
    </ActionForm>
  );
}

/**
 * The device's actions, each with a confirmation fitted to its risk, and the live status of
 * what was asked: polled from /api/my/devices/[id]/commands until the device has answered.
 */
export function DevicePanel({ deviceId, platform, offers, confirmWith, initial }: {
  deviceId: string;
  platform: Platform;
  offers: Offer[];
  confirmWith: string[];
  initial: PortalDeviceStatus;
}) {
  const t = useT();
  const locale = useLocale();
  const isMac = platform === "MACOS";
  const [status, setStatus] = useState(initial);
  const [checkInSince, setCheckInSince] = useState<string | null>(null);
  const [polling, setPolling] = useState(() => initial.commands.some((c) => !FINAL.has(c.state)));
  const fmt = (iso: string) => new Intl.DateTimeFormat(locale === "ja" ? "ja-JP" : "en-US", { dateStyle: "medium", timeStyle: "medium" }).format(new Date(iso));

  const waitingCheckIn = checkInSince !== null && !(status.lastCheckInAt && status.lastCheckInAt > checkInSince);
  const active = polling || waitingCheckIn;
  usePoll(async () => {
    const res = await fetch(`/api/my/devices/${deviceId}/commands`, { cache: "no-store" });
    if (!res.ok) return;
    const next = (await res.json()) as PortalDeviceStatus;
    setStatus(next);
    setPolling(next.commands.some((c) => !FINAL.has(c.state)));
  }, POLL_MS, active);

  const onQueued = useCallback((s: PortalActionState) => {
    if (s.commands?.length) setPolling(true);
    else if (s.at) setCheckInSince(s.at);
  }, []);

  const k = (a: PortalAction, key: string) => t(`myDevice.actions.${a}.${key}`);
  const offered = new Map(offers.map((o) => [o.action, o.unavailable]));
  // Lost mode can change while the page is open (locate turns it on): follow the live state.
  const can = (a: PortalAction) => offered.has(a) && (a === "lostModeOff" ? status.lostMode : offered.get(a) === null);
  const form = (a: PortalAction, variant: "primary" | "secondary" | "danger", children?: React.ReactNode) => (
    <PortalForm action={a} label={k(a, "button")} pending={k(a, "pending")} variant={variant} onQueued={onQueued} testId={`action-${a}`}>
      <input type="hidden" name="deviceId" value={deviceId} />
      {children}
    </PortalForm>
  );
  const panel = (a: PortalAction, variant: "secondary" | "danger", children?: React.ReactNode) =>
    can(a) ? (
      <details key={a} className={`group rounded-xl bg-white ring-1 ${variant === "danger" ? "ring-red-200" : "ring-slate-200"}`} data-testid={`panel-${a}`}>
        <summary className="flex min-h-12 cursor-pointer list-none items-center justify-between gap-3 rounded-xl px-4 py-3">
          <span>
            <span className={`block font-medium ${variant === "danger" ? "text-red-800" : ""}`}>{k(a, "title")}</span>
            <span className="block text-sm text-slate-600">{k(a, "description")}</span>
          </span>
          <span aria-hidden className="text-slate-500 transition-transform group-open:rotate-90">›</span>
        </summary>
        <div className="border-t border-slate-100 px-4 py-3">
          <p className="mb-3 text-sm text-slate-700">{k(a, platform === "ANDROID" && (a === "unlock" || a === "locate") ? "explainAndroid" : "explain")}</p>
          {form(a, variant === "danger" ? "danger" : "primary", children)}
        </div>
      </details>
    ) : null;
  const tick = (a: PortalAction) => (
    <label className="flex min-h-11 items-start gap-3 text-sm">
      <input type="checkbox" name="confirm" className="mt-1 size-5" required />
      <span>{k(a, "confirm")}</span>
    </label>
  );
  const pinField = (a: "lock" | "wipe") =>
    isMac ? <Field label={k(a, "pin")} name="pin" inputMode="numeric" autoComplete="off" maxLength={6} pattern="[0-9]{6}" hint={k(a, "pinHint")} required /> : null;
  const explained = offers.filter((o) => o.unavailable && !UNSAID.includes(o.unavailable));
  const managed = !offers.some((o) => o.unavailable === "notManaged") && status.status !== "RETIRED" && status.status !== "WIPED";
  const location = status.location;

  return (
    <>
      {managed && status.lostMode && <p className="rounded-lg bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="lost-mode">{t("myDevice.lostModeOn")}</p>}

      <section className="flex flex-col gap-3" aria-labelledby="actions-title">
        <h2 id="actions-title" className="text-lg font-semibold">{t("myDevice.actionsTitle")}</h2>
        {!managed ? (
          <p className="text-sm text-slate-600" data-testid="not-managed">{t("myDevice.notManaged")}</p>
        ) : (
          <>
            {can("checkIn") && (
              <div className="flex flex-col gap-2 rounded-xl bg-white p-4 ring-1 ring-slate-200">
                <p className="font-medium">{k("checkIn", "title")}</p>
                <p className="text-sm text-slate-600">{k("checkIn", "description")}</p>
                {form("checkIn", "secondary")}
                {checkInSince && (
                  <p role="status" className="text-sm" data-testid="checkin-status" data-state={waitingCheckIn ? "waiting" : "done"}>
                    {waitingCheckIn ? t("myDevice.checkInWaiting") : t("myDevice.checkInDone", { time: fmt(status.lastCheckInAt!) })}
                  </p>
                )}
              </div>
            )}
            {panel("lock", "secondary", (
              <>
                <Field label={k("lock", "message")} name="message" maxLength={300} autoComplete="off" />
                <Field label={k("lock", "phone")} name="phoneNumber" type="tel" maxLength={40} autoComplete="tel" />
                {pinField("lock")}
              </>
            ))}
            {panel("unlock", "secondary", tick("unlock"))}
            {panel("locate", "secondary", status.lostMode ? null : (
              <>
                <Field label={k("locate", "message")} name="message" maxLength={300} autoComplete="off" hint={k("locate", "messageHint")} />
                <Field label={k("locate", "phone")} name="phoneNumber" type="tel" maxLength={40} autoComplete="tel" />
              </>
            ))}
            {status.lostMode && panel("lostModeOff", "secondary")}
            {panel("retire", "danger", tick("retire"))}
            {panel("wipe", "danger", (
              <>
                <p className="text-sm">
                  {k("wipe", "confirmWith")}{" "}
                  {confirmWith.map((c, i) => (
                    <span key={c}>{i > 0 && <span className="text-slate-500"> / </span>}<strong className="rounded bg-slate-100 px-1.5 py-0.5 font-mono break-all" data-testid="wipe-confirm-text">{c}</strong></span>
                  ))}
                </p>
                <Field label={k("wipe", "confirmLabel")} name="confirmation" autoComplete="off" spellCheck={false} required />
                {pinField("wipe")}
              </>
            ))}
            {explained.length > 0 && (
              <ul className="flex flex-col gap-1 text-sm text-slate-600" data-testid="unavailable">
                {explained.map((o) => (
                  <li key={o.action} data-action={o.action} data-reason={o.unavailable}>
                    {t("deviceDetail.unavailableLine", { action: k(o.action, "title"), reason: t(`errors.device.unavailable.${o.unavailable}`, { platform: PLATFORM_LABEL[platform] }) })}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </section>

      {location && (
        <section className="rounded-2xl bg-white p-5 shadow-sm ring-1 ring-slate-200" data-testid="location" aria-labelledby="location-title">
          <h2 id="location-title" className="mb-3 text-base font-semibold">{t("myDevice.location")}</h2>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-600">{t("myDevice.coordinates")}</dt>
            <dd className="font-mono">{location.latitude.toFixed(6)}, {location.longitude.toFixed(6)}</dd>
            {location.horizontalAccuracy !== undefined && (<><dt className="text-slate-600">{t("myDevice.accuracy")}</dt><dd>{t("myDevice.metres", { value: location.horizontalAccuracy })}</dd></>)}
            {(location.timestamp || location.receivedAt) && (<><dt className="text-slate-600">{t("myDevice.locatedAt")}</dt><dd>{fmt((location.timestamp ?? location.receivedAt)!)}</dd></>)}
          </dl>
          <p className="mt-3 flex flex-col gap-2">
            <a href={phoneMapLinks(location).apple} className="inline-flex min-h-11 items-center justify-center rounded-lg bg-brand-600 px-4 py-2 font-medium text-white">{t("myDevice.openMaps")}</a>
            <a href={phoneMapLinks(location).geo} className="text-center text-sm text-brand-700 underline">{t("myDevice.openOtherMaps")}</a>
          </p>
        </section>
      )}

      <section className="rounded-2xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="progress-title">
        <h2 id="progress-title" className="mb-1 text-base font-semibold">{t("myDevice.progress")}</h2>
        <p className="mb-3 text-xs text-slate-600">{t("myDevice.progressHint")}</p>
        <p className="mb-3 text-sm" data-testid="last-check-in">{t("myDevice.lastCheckIn", { time: status.lastCheckInAt ? fmt(status.lastCheckInAt) : t("myDevices.never") })}</p>
        {status.commands.length === 0 ? (
          <p className="text-sm text-slate-600">{t("myDevice.noCommands")}</p>
        ) : (
          <ul className="flex flex-col divide-y divide-slate-100" aria-live="polite">
            {status.commands.map((c) => (
              <li key={c.id} className="py-2 text-sm" data-testid="command-status" data-type={c.requestType} data-state={c.state}>
                <div className="flex items-center justify-between gap-3">
                  <span className="font-medium">{t(`myDevice.requestTypes.${c.requestType}`)}</span>
                  <span className={STATE_STYLE[c.state]}>{t(`myDevice.states.${c.state}`)}</span>
                </div>
                <div className="text-xs text-slate-600">{fmt(c.respondedAt ?? c.createdAt)}</div>
                {c.answer && <div className="mt-1 break-words text-slate-800" data-testid="command-answer">{t("myDevice.answer", { answer: c.answer })}</div>}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

const STATE_STYLE: Record<string, string> = { queued: "text-slate-700", sent: "text-slate-700", busy: "text-amber-800", done: "font-semibold text-brand-700", failed: "font-semibold text-red-700", cancelled: "text-slate-500" };
