import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { listGroups, GROUP_NAME_MAX, GROUP_DESCRIPTION_MAX } from "@/lib/groups";
import { ActionForm } from "@/components/action-form";
import { Field } from "@/components/field";
import { Card, PageHeader } from "@/components/page-header";
import { createGroupAction, deleteGroupAction, updateGroupAction } from "./actions";

export default async function GroupsPage({ searchParams }: { searchParams: Promise<{ deleted?: string }> }) {
  await view.admin("/admin/groups");
  const t = await getT();
  const groups = await listGroups();
  const deleted = (await searchParams).deleted?.slice(0, 200);
  return (
    <>
      <PageHeader title={t("groups.title")} intro={t("groups.intro")} />
      <div className="flex flex-col gap-4">
        {deleted && <p role="status" className="rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-800 ring-1 ring-brand-100" data-testid="group-deleted">{t("groups.deleted", { name: deleted })}</p>}
        <Card title={t("groups.createTitle")}>
          <div className="max-w-xl">
            <ActionForm action={createGroupAction} submitLabel={t("groups.create")} pendingLabel={t("common.saving")} testId="create-group">
              <Field label={t("groups.name")} name="name" maxLength={GROUP_NAME_MAX} required />
              <Field label={t("groups.description")} name="description" maxLength={GROUP_DESCRIPTION_MAX} />
            </ActionForm>
          </div>
        </Card>
        <Card title={t("groups.listTitle", { count: groups.length })}>
          {groups.length === 0 ? (
            <p className="text-sm text-slate-600">{t("groups.empty")}</p>
          ) : (
            <ul className="flex flex-col divide-y divide-slate-100" data-testid="groups">
              {groups.map((g) => (
                <li key={g.id} className="py-3" data-testid="group-row" data-name={g.name}>
                  <div className="flex flex-wrap items-baseline justify-between gap-2">
                    <span className="font-medium">{g.name}</span>
                    <span className="text-sm text-slate-600" data-testid="group-members">{t("groups.members", { count: g._count.users })}</span>
                  </div>
                  {g.description && <p className="text-sm text-slate-600">{g.description}</p>}
                  <details className="mt-2">
                    <summary className="cursor-pointer text-sm text-brand-700">{t("groups.edit")}</summary>
                    <div className="mt-2 grid gap-4 md:grid-cols-2">
                      <ActionForm action={updateGroupAction} submitLabel={t("groups.save")} pendingLabel={t("common.saving")} testId="edit-group">
                        <input type="hidden" name="id" value={g.id} />
                        <Field label={t("groups.name")} name="name" defaultValue={g.name} maxLength={GROUP_NAME_MAX} required />
                        <Field label={t("groups.description")} name="description" defaultValue={g.description ?? ""} maxLength={GROUP_DESCRIPTION_MAX} />
                      </ActionForm>
                      <ActionForm action={deleteGroupAction} submitLabel={t("groups.delete")} pendingLabel={t("groups.deleting")} variant="danger" testId="delete-group">
                        <input type="hidden" name="id" value={g.id} />
                        <p className="text-sm text-slate-700">{t("groups.deleteExplain", { count: g._count.users })}</p>
                        <label className="flex items-start gap-2 text-sm">
                          <input type="checkbox" name="confirm" className="mt-1 size-4" required />
                          <span>{t("groups.deleteConfirm", { name: g.name })}</span>
                        </label>
                      </ActionForm>
                    </div>
                  </details>
                </li>
              ))}
            </ul>
          )}
          <p className="mt-3 text-sm"><Link href="/admin/privacy" className="text-brand-700 underline">{t("groups.toPrivacy")}</Link></p>
        </Card>
      </div>
    </>
  );
}
