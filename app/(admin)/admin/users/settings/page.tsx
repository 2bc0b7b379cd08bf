import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getSetting } from "@/lib/settings";
import { getT } from "@/lib/i18n/server";
import { Card, PageHeader } from "@/components/page-header";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { saveInvitationSettings } from "../actions";

export const dynamic = "force-dynamic";

export default async function InvitationSettingsPage() {
  await view.admin("/admin/users/settings");
  const t = await getT();
  const s = await getSetting("invitations");
  const box = "size-5 accent-brand-600";
  return (
    <>
      <PageHeader title={t("usersAdmin.settingsTitle")} intro={t("usersAdmin.settingsIntro")} />
      <p className="mb-4 text-sm"><Link href="/admin/users" className="text-brand-700 underline">{t("usersAdmin.back")}</Link></p>
      <Card className="max-w-xl">
        <ActionForm action={saveInvitationSettings} submitLabel={t("usersAdmin.save")} pendingLabel={t("common.saving")} testId="invitation-settings-form">
          <Field label={t("usersAdmin.validityDays")} name="validityDays" inputMode="numeric" defaultValue={s.validityDays} />
          <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="pinByDefault" defaultChecked={s.pinByDefault} className={box} />{t("usersAdmin.pinByDefault")}</label>
          <Field label={t("usersAdmin.pinValidityHours")} name="pinValidityHours" inputMode="numeric" defaultValue={s.pinValidityHours} />
          <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="remindersEnabled" defaultChecked={s.remindersEnabled} className={box} />{t("usersAdmin.remindersEnabled")}</label>
          <Field label={t("usersAdmin.reminderIntervalDays")} name="reminderIntervalDays" inputMode="numeric" defaultValue={s.reminderIntervalDays} />
        </ActionForm>
      </Card>
    </>
  );
}
