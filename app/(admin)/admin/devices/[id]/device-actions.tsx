import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { ACTION_TABLE, DEVICE_ACTIONS, PLATFORM_LABEL, STATE_REASONS, type DeviceAction, type Unavailable } from "@/lib/devices/action-table";
import type { Platform } from "@/lib/db/generated/client";
import { DEVICE_NAME_MAX } from "@/lib/mdm/commands";
import type { ActionState } from "@/lib/auth/guard";
import type { T } from "@/lib/i18n";
import * as act from "./actions";

type Action = (prev: ActionState, form: FormData) => Promise<ActionState>;

const ACTIONS: Record<DeviceAction, Action> = {
  refresh: act.refreshDevice,
  checkIn: act.checkInDevice,
  rename: act.renameDevice,
  lock: act.lockDevice,
  clearPasscode: act.clearPasscodeDevice,
  lostModeOn: act.lostModeOnDevice,
  lostModeOff: act.lostModeOffDevice,
  locate: act.locateDevice,
  playSound: act.playSoundDevice,
  restart: act.restartDevice,
  wipe: act.wipeDevice,
  retire: act.retireDevice,
};

/**
 * The actions that apply to this device (lib/devices/action-table.ts), each a form with the
 * confirmation the table gives its risk: one click, an opened panel, a tick box, or the device's
 * name typed again.
 */
export function DeviceActions({ t, deviceId, deviceName, platform, available, confirmWith }: {
  t: T;
  deviceId: string;
  /** The name shown now: the rename field starts with it. */
  deviceName: string | null;
  platform: Platform;
  available: Record<DeviceAction, Unavailable | null>;
  /** What the admin may type to confirm a wipe: the name and serial number shown. */
  confirmWith: string[];
}) {
  const k = (action: DeviceAction, key: string, params?: Record<string, string>) => t(`deviceDetail.actions.${action}.${key}`, params);
  const hidden = <input type="hidden" name="deviceId" value={deviceId} />;
  const form = (action: DeviceAction, variant: "primary" | "secondary" | "danger", children?: React.ReactNode) => (
    <ActionForm
      action={ACTIONS[action]}
      submitLabel={k(action, "button")}
      pendingLabel={k(action, "pending")}
      variant={variant}
      testId={`action-${action}`}
      // The PIN typed for a Mac comes back on a line of its own.
      className="flex flex-col gap-3 [&_[data-testid=form-message]]:whitespace-pre-line"
    >
      {hidden}
      {children}
    </ActionForm>
  );
  const isMac = platform === "MACOS";
  const android = platform === "ANDROID";
  const quick = DEVICE_ACTIONS.filter((a) => ACTION_TABLE[a].risk === "none" && !available[a]);
  const panel = (action: DeviceAction, variant: "secondary" | "danger", children?: React.ReactNode) =>
    available[action] ? null : (
      <details key={action} className={`group rounded-xl ring-1 ${variant === "danger" ? "ring-red-200" : "ring-slate-200"}`} data-testid={`panel-${action}`}>
        <summary className="flex min-h-11 cursor-pointer list-none items-center justify-between gap-3 rounded-xl px-4 py-2 hover:bg-slate-50">
          <span>
            <span className={`block font-medium ${variant === "danger" ? "text-red-800" : ""}`}>{k(action, "title")}</span>
            <span className="block text-sm text-slate-600">{k(action, "description")}</span>
          </span>
          <span aria-hidden className="text-slate-500 transition-transform group-open:rotate-90">›</span>
        </summary>
        <div className="border-t border-slate-100 px-4 py-3">
          <p className="mb-3 text-sm text-slate-700">{k(action, android && action === "clearPasscode" ? "explainAndroid" : "explain")}</p>
          <div className="max-w-xl">{form(action, variant, children)}</div>
        </div>
      </details>
    );
  const tick = (action: DeviceAction) => ACTION_TABLE[action].risk !== "tick" ? null : (
    <label className="flex items-start gap-2 text-sm">
      <input type="checkbox" name="confirm" className="mt-1 size-4" required />
      <span>{k(action, "confirm")}</span>
    </label>
  );
  const pinField = (action: "lock" | "wipe") =>
    isMac ? <Field label={k(action, "pin")} name="pin" inputMode="numeric" autoComplete="off" maxLength={6} pattern="[0-9]{6}" hint={k(action, "pinHint")} /> : null;
  // What the device's state explains by itself (lost mode, another platform) just hides the
  // action; the rest is said. Clearing the passcode is the one admins look for on a Mac.
  const explained = (Object.entries(available) as [DeviceAction, Unavailable | null][]).filter(
    ([a, why]) => why && (!STATE_REASONS.includes(why) || (why === "platform" && a === "clearPasscode" && isMac)),
  );

  return (
    <div className="flex flex-col gap-4">
      {quick.length > 0 && (
        <div className="grid gap-3 sm:grid-cols-2">
          {quick.map((a) => (
            <div key={a} className="flex flex-col gap-2 rounded-xl p-4 ring-1 ring-slate-200">
              <h3 className="font-medium">{k(a, "title")}</h3>
              <p className="text-sm text-slate-600">{k(a, "description")}</p>
              {form(a, a === "refresh" ? "primary" : "secondary")}
            </div>
          ))}
        </div>
      )}
      <div className="flex flex-col gap-2">
        {panel("rename", "secondary", (
          <Field label={k("rename", "name")} name="deviceName" defaultValue={deviceName ?? ""} maxLength={DEVICE_NAME_MAX} autoComplete="off" spellCheck={false} required />
        ))}
        {panel("lock", "secondary", (
          <>
            <Field label={k("lock", "message")} name="message" maxLength={300} autoComplete="off" />
            <Field label={k("lock", "phone")} name="phoneNumber" type="tel" maxLength={40} autoComplete="off" />
            {pinField("lock")}
          </>
        ))}
        {panel("lostModeOn", "secondary", (
          <>
            <Field label={k("lostModeOn", "message")} name="message" maxLength={300} autoComplete="off" hint={k("lostModeOn", android ? "messageHintAndroid" : "messageHint")} />
            <Field label={k("lostModeOn", "phone")} name="phoneNumber" type="tel" maxLength={40} autoComplete="off" />
            {android ? (
              <>
                <Field label={k("lostModeOn", "email")} name="emailAddress" type="email" maxLength={200} autoComplete="off" />
                <Field label={k("lostModeOn", "streetAddress")} name="streetAddress" maxLength={300} autoComplete="off" />
                <Field label={k("lostModeOn", "organization")} name="organization" maxLength={100} autoComplete="off" />
              </>
            ) : (
              <Field label={k("lostModeOn", "footnote")} name="footnote" maxLength={200} autoComplete="off" />
            )}
          </>
        ))}
        {panel("lostModeOff", "secondary")}
        {panel("restart", "secondary")}
        {panel("clearPasscode", "secondary", tick("clearPasscode"))}
        {panel("retire", "danger", tick("retire"))}
        {panel("wipe", "danger", (
          <>
            <p className="text-sm">
              {k("wipe", "confirmWith")}{" "}
              {confirmWith.map((c, i) => (
                <span key={c}>{i > 0 && <span className="text-slate-500"> / </span>}<strong className="rounded bg-slate-100 px-1.5 py-0.5 font-mono" data-testid="wipe-confirm-text">{c}</strong></span>
              ))}
            </p>
            <Field label={k("wipe", "confirmLabel")} name="confirmation" autoComplete="off" spellCheck={false} required />
            {pinField("wipe")}
            {android && (
              <label className="flex items-start gap-2 text-sm">
                <input type="checkbox" name="keepResetProtection" className="mt-1 size-4" defaultChecked />
                <span>{k("wipe", "keepResetProtection")}</span>
              </label>
            )}
          </>
        ))}
      </div>
      {explained.length > 0 && (
        <ul className="flex flex-col gap-1 text-sm text-slate-600" data-testid="unavailable">
          {[...new Set(explained.map(([, why]) => why!))].map((why) => (
            <li key={why} data-reason={why}>
              {t("deviceDetail.unavailableLine", {
                action: explained.filter(([, w]) => w === why).map(([a]) => k(a, "title")).join(t("deviceDetail.listSeparator")),
                reason: t(`errors.device.unavailable.${why}`, { platform: PLATFORM_LABEL[platform] }),
              })}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
