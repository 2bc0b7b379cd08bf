import type { T } from "@/lib/i18n";
import { ActionForm } from "@/components/action-form";
import { Field, SelectField } from "@/components/field";
import { AUTO_LOCK_MINUTES, MIN_LENGTH_MAX, SCREEN_LOCKS, UNKNOWN_APPS, USB_ACCESS, type PolicySettings } from "@/lib/android/policy";
import { savePolicy } from "./actions";

function Check({ name, label, checked }: { name: string; label: string; checked: boolean }) {
  return (
    <label className="flex items-center gap-2 text-sm">
      <input type="checkbox" name={name} defaultChecked={checked} className="size-5 accent-brand-600" />
      {label}
    </label>
  );
}

/** The policy form: the default policy, a group's own, or (with `groups`) a new one for a group. */
export function PolicyForm({ t, settings, groupId, groups, testId }: { t: T; settings: PolicySettings; groupId?: string; groups?: { id: string; name: string }[]; testId: string }) {
  const minutes = (m: number) => (m === 0 ? t("android.autoLockUser") : t("android.autoLockMinutes", { count: m }));
  return (
    <ActionForm action={savePolicy} submitLabel={t("android.policySave")} pendingLabel={t("android.policySaving")} testId={testId}>
      {groupId && <input type="hidden" name="groupId" value={groupId} />}
      {groups && <SelectField label={t("android.group")} name="groupId" options={groups.map((g) => [g.id, g.name] as const)} />}
      <SelectField label={t("android.screenLock")} name="screenLock" defaultValue={settings.screenLock} options={SCREEN_LOCKS.map((v) => [v, t(`android.screenLocks.${v}`)] as const)} />
      <Field label={t("android.minLength")} name="minLength" type="number" min={0} max={MIN_LENGTH_MAX} defaultValue={settings.minLength} hint={t("android.minLengthHint")} />
      <SelectField label={t("android.autoLock")} name="autoLockMinutes" defaultValue={String(settings.autoLockMinutes)} options={AUTO_LOCK_MINUTES.map((m) => [String(m), minutes(m)] as const)} />
      <SelectField label={t("android.usb")} name="usb" defaultValue={settings.usb} options={USB_ACCESS.map((v) => [v, t(`android.usbAccess.${v}`)] as const)} />
      <SelectField label={t("android.unknownApps")} name="unknownApps" defaultValue={settings.unknownApps} options={UNKNOWN_APPS.map((v) => [v, t(`android.unknownAppsPolicy.${v}`)] as const)} />
      <Check name="cameraDisabled" label={t("android.cameraDisabled")} checked={settings.cameraDisabled} />
      <Check name="screenCaptureDisabled" label={t("android.screenCaptureDisabled")} checked={settings.screenCaptureDisabled} />
      <Check name="developerSettingsDisabled" label={t("android.developerSettingsDisabled")} checked={settings.developerSettingsDisabled} />
      <Check name="factoryResetDisabled" label={t("android.factoryResetDisabled")} checked={settings.factoryResetDisabled} />
      <Field label={t("android.frpAdminEmails")} name="frpAdminEmails" defaultValue={settings.frpAdminEmails.join(" ")} hint={t("android.frpAdminEmailsHint")} autoComplete="off" />
    </ActionForm>
  );
}
