import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { listUsers } from "@/lib/users/service";
import { invitationState, latestInvitations } from "@/lib/invitations/service";
import { Card, PageHeader } from "@/components/page-header";
import { Pager } from "@/components/pager";
import { ActionForm } from "@/components/action-form";
import { FormAlert, SelectField } from "@/components/field";
import { createUsersAction, inviteSelectedAction } from "./actions";
import { UserFields } from "./user-fields";
import { groupChoices } from "@/lib/groups";

export const dynamic = "force-dynamic";

export default async function UsersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await view.admin("/admin/users");
  const [t, fmt] = [await getT(), await getFormatter()];
  const params = await searchParams;
  const q = params.q?.slice(0, 200) ?? "";
  const status = params.status === "active" || params.status === "disabled" ? params.status : "";
  const { users, total, page, pages } = await listUsers({ q, status, page: Number(params.page) || 1 });
  const [invitations, groups, endUsers] = await Promise.all([
    latestInvitations(users.map((u) => u.id)),
    groupChoices(),
    prisma().user.count({ where: { role: "END_USER" } }),
  ]);
  return (
    <>
      <PageHeader title={t("users.title")} intro={t("users.intro")} />
      <div className="flex flex-col gap-6">
        {params.deleted !== undefined && <FormAlert message={t("usersAdmin.deleted", { devices: Number(params.deleted) || 0 })} />}
        {endUsers === 0 && (
          <Card title={t("usersAdmin.gettingStarted")}>
            <ol className="list-decimal pl-5 text-sm text-slate-700">
              <li>{t("usersAdmin.start1")}</li>
              <li>{t("usersAdmin.start2")}</li>
              <li>{t("usersAdmin.start3")}</li>
            </ol>
          </Card>
        )}
        <Card title={t("usersAdmin.addTitle")}>
          <ActionForm action={createUsersAction} submitLabel={t("usersAdmin.add")} pendingLabel={t("usersAdmin.adding")} testId="add-users-form">
            <div className="flex flex-col gap-1">
              <label htmlFor="new-users" className="text-sm font-medium text-slate-800">{t("usersAdmin.lines")}</label>
              <textarea id="new-users" name="lines" rows={4} aria-describedby="new-users-hint" required className="rounded-lg border border-slate-300 px-3 py-2 font-mono text-sm" placeholder={"Hanako Sato, hanako@example.jp\nTaro Suzuki <taro@example.jp>"} />
              <p id="new-users-hint" className="text-xs text-slate-600">{t("usersAdmin.linesHint")}</p>
            </div>
            <UserFields t={t} groups={groups} />
            <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="invite" defaultChecked className="size-5 accent-brand-600" />{t("usersAdmin.inviteNow")}</label>
            <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="pin" defaultChecked className="size-5 accent-brand-600" />{t("usersAdmin.withPin")}</label>
          </ActionForm>
        </Card>
        <Card>
          <form method="get" role="search" className="mb-4 flex flex-wrap items-end gap-3">
            <div className="flex flex-col gap-1">
              <label htmlFor="user-q" className="text-sm font-medium">{t("usersAdmin.search")}</label>
              <input id="user-q" name="q" defaultValue={q} type="search" className="min-h-11 rounded-lg border border-slate-300 px-3" />
            </div>
            <SelectField label={t("users.status")} name="status" defaultValue={status} options={[["", t("usersAdmin.all")], ["active", t("users.active")], ["disabled", t("users.disabled")]]} />
            <button type="submit" className="min-h-11 rounded-lg px-4 ring-1 ring-slate-300 hover:bg-slate-100">{t("usersAdmin.searchSubmit")}</button>
            <Link href="/admin/users/settings" className="ml-auto text-sm text-brand-700 underline">{t("usersAdmin.settingsLink")}</Link>
          </form>
          <p className="mb-2 text-sm text-slate-600" data-testid="user-count">{t("usersAdmin.count", { count: total })}</p>
          <ActionForm action={inviteSelectedAction} submitLabel={t("usersAdmin.inviteSelected")} pendingLabel={t("usersAdmin.inviting")} testId="invite-selected-form">
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>
                    <th scope="col" className="py-2 pr-3"><span className="sr-only">{t("usersAdmin.select")}</span></th>
                    {["name", "email", "role", "group", "source", "status", "invitation", "devices", "created"].map((k) => (
                      <th key={k} scope="col" className="py-2 pr-3 font-medium">{t(k === "group" || k === "invitation" || k === "devices" ? `usersAdmin.${k}` : `users.${k}`)}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => {
                    const inv = invitations.get(u.id);
                    return (
                      <tr key={u.id} className="border-b border-slate-100" data-testid="user-row">
                        <td className="py-2 pr-3"><input type="checkbox" name={`u:${u.id}`} aria-label={t("usersAdmin.selectUser", { email: u.email })} disabled={u.disabled} className="size-5 accent-brand-600" /></td>
                        <td className="py-2 pr-3"><Link href={`/admin/users/${u.id}`} className="text-brand-700 underline">{u.displayName}</Link></td>
                        <td className="py-2 pr-3 break-all">{u.email}</td>
                        <td className="py-2 pr-3">{t(`users.roles.${u.role}`)}</td>
                        <td className="py-2 pr-3">{u.group?.name ?? "—"}</td>
                        <td className="py-2 pr-3">{t(`users.sources.${u.source}`)}</td>
                        <td className="py-2 pr-3">{t(u.disabled ? "users.disabled" : "users.active")}</td>
                        <td className="py-2 pr-3">{inv ? t(`usersAdmin.states.${invitationState(inv)}`) : "—"}</td>
                        <td className="py-2 pr-3">{u._count.devices}</td>
                        <td className="py-2 pr-3 whitespace-nowrap">{fmt(u.createdAt, "short")}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {!users.length && <p className="py-4 text-sm text-slate-600">{t("usersAdmin.none")}</p>}
            </div>
            <label className="flex items-center gap-2 text-sm"><input type="checkbox" name="pin" defaultChecked className="size-5 accent-brand-600" />{t("usersAdmin.withPin")}</label>
          </ActionForm>
          <Pager page={page} pages={pages} params={{ ...(q && { q }), ...(status && { status }) }} t={t} />
        </Card>
      </div>
    </>
  );
}
