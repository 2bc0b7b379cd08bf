import Link from "next/link";
import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { invitationState } from "@/lib/invitations/service";
import { Card, PageHeader } from "@/components/page-header";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { deleteUserAction, inviteUserAction, setDisabledAction, updateUserAction } from "../actions";
import { UserFields } from "../user-fields";
import { isUuid } from "@/lib/ids";
import { groupChoices } from "@/lib/groups";

export const dynamic = "force-dynamic";

export default async function UserPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const me = await view.admin(`/admin/users/${id}`);
  if (!isUuid(id)) notFound();
  const user = await prisma().user.findUnique({
    where: { id },
    include: { invitations: { orderBy: { createdAt: "desc" }, take: 10 }, devices: { orderBy: { updatedAt: "desc" }, take: 20, select: { id: true, name: true, serialNumber: true, status: true, platform: true } } },
  });
  if (!user) notFound();
  const [t, fmt] = [await getT(), await getFormatter()];
  const groups = await groupChoices();
  const self = user.id === me.id;
  const cell = "py-2 pr-3";
  return (
    <>
      <PageHeader title={user.displayName} intro={`${user.email} · ${t(`users.roles.${user.role}`)} · ${t(user.disabled ? "users.disabled" : "users.active")}`} />
      <p className="mb-4 text-sm"><Link href="/admin/users" className="text-brand-700 underline">{t("usersAdmin.back")}</Link></p>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title={t("usersAdmin.editTitle")}>
          <ActionForm action={updateUserAction} submitLabel={t("usersAdmin.save")} pendingLabel={t("common.saving")} testId="edit-user-form">
            <input type="hidden" name="id" value={user.id} />
            <Field label={t("users.name")} name="displayName" defaultValue={user.displayName} required maxLength={200} />
            <Field label={t("users.email")} name="email" type="email" defaultValue={user.email} required maxLength={320} />
            <UserFields t={t} groups={groups} user={user} />
          </ActionForm>
        </Card>
        <Card title={t("usersAdmin.invitationTitle")}>
          <div className="flex flex-col gap-4">
            <ActionForm action={inviteUserAction} submitLabel={t(user.invitations.length ? "usersAdmin.resend" : "usersAdmin.invite")} pendingLabel={t("usersAdmin.inviting")} testId="invite-user-form">
              <input type="hidden" name="id" value={user.id} />
              <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="pin" defaultChecked className="size-5 accent-brand-600" />{t("usersAdmin.withPin")}</label>
            </ActionForm>
            {user.invitations.length ? (
              <table className="w-full text-left text-sm" data-testid="invitations">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>{["sent", "state", "pin", "expires", "reminders"].map((k) => <th key={k} scope="col" className={`${cell} font-medium`}>{t(`usersAdmin.inv.${k}`)}</th>)}</tr>
                </thead>
                <tbody>
                  {user.invitations.map((i) => (
                    <tr key={i.id} className="border-b border-slate-100" data-testid="invitation-row">
                      <td className={cell}>{i.sentAt ? fmt(i.sentAt, "short") : t("usersAdmin.inv.notSent")}</td>
                      <td className={cell}>{t(`usersAdmin.states.${invitationState(i)}`)}</td>
                      <td className={cell}>{!i.pinHash ? "—" : i.pinLockedAt ? t("usersAdmin.inv.pinLocked") : i.pinUsedAt ? t("usersAdmin.inv.pinUsed") : t("usersAdmin.inv.pinTries", { used: i.pinAttempts })}</td>
                      <td className={cell}>{fmt(i.expiresAt, "short")}</td>
                      <td className={cell}>{i.reminderCount}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : <p className="text-sm text-slate-600">{t("usersAdmin.inv.none")}</p>}
            <p><a href={`/admin/users/${user.id}/qr`} className="text-brand-700 underline">{t("usersAdmin.showQr")}</a></p>
          </div>
        </Card>
        <Card title={t("usersAdmin.devicesTitle")}>
          {user.devices.length ? (
            <ul className="flex flex-col gap-1 text-sm">
              {user.devices.map((d) => <li key={d.id}><Link href={`/admin/devices/${d.id}`} className="text-brand-700 underline">{d.name ?? d.serialNumber ?? d.id}</Link> · {t(`devices.platforms.${d.platform}`)} · {t(`devices.statuses.${d.status}`)}</li>)}
            </ul>
          ) : <p className="text-sm text-slate-600">{t("usersAdmin.noDevices")}</p>}
        </Card>
        {!self && (
          <Card title={t("usersAdmin.accessTitle")}>
            <div className="flex flex-col gap-6">
              <ActionForm action={setDisabledAction} submitLabel={t(user.disabled ? "usersAdmin.enable" : "usersAdmin.disable")} pendingLabel={t("common.saving")} variant="secondary" testId="disable-user-form">
                <input type="hidden" name="id" value={user.id} />
                <input type="hidden" name="disabled" value={String(!user.disabled)} />
                <p className="text-sm text-slate-600">{t(user.disabled ? "usersAdmin.enableHint" : "usersAdmin.disableHint")}</p>
              </ActionForm>
              <ActionForm action={deleteUserAction} submitLabel={t("usersAdmin.delete")} pendingLabel={t("usersAdmin.deleting")} variant="danger" testId="delete-user-form">
                <input type="hidden" name="id" value={user.id} />
                <p className="text-sm text-slate-600">{t("usersAdmin.deleteHint", { devices: user.devices.length })}</p>
                <Field label={t("usersAdmin.deleteConfirm", { email: user.email })} name="confirm" autoComplete="off" />
              </ActionForm>
            </div>
          </Card>
        )}
      </div>
    </>
  );
}
