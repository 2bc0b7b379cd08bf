import Link from "next/link";
import { notFound } from "next/navigation";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { getConfiguration } from "@/lib/configurations/service";
import { groupChoices } from "@/lib/groups";
import { ActionForm } from "@/components/action-form";
import { Card, PageHeader } from "@/components/page-header";
import { ConfigurationFields } from "../fields";
import { deleteConfiguration, updateConfiguration } from "../actions";

export default async function ConfigurationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await view.admin(`/admin/configurations/${id}`);
  const config = await getConfiguration(id);
  if (!config) notFound();
  const [t, groups] = [await getT(), await groupChoices()];
  const k = (key: string) => t(`configurations.${key}`);
  const hidden = <input type="hidden" name="id" value={config.id} />;
  return (
    <>
      <PageHeader title={config.name} intro={t(`configurations.kinds.${config.kind}`)} />
      <div className="flex max-w-xl flex-col gap-4">
        <Card title={k("editTitle")}>
          <ActionForm action={updateConfiguration} submitLabel={k("save")} pendingLabel={k("saving")} testId="configuration-edit">
            {hidden}
            <ConfigurationFields t={t} groups={groups} value={config} />
          </ActionForm>
        </Card>
        <Card title={k("deleteTitle")} className="ring-red-200">
          <p className="mb-3 text-sm text-red-800">{k("deleteExplain")}</p>
          <ActionForm action={deleteConfiguration} submitLabel={k("delete")} pendingLabel={k("deleting")} variant="danger" testId="configuration-delete">
            {hidden}
            <label className="flex items-start gap-2 text-sm">
              <input type="checkbox" name="confirm" className="mt-1 size-5" required />
              <span>{k("deleteConfirm")}</span>
            </label>
          </ActionForm>
        </Card>
        <p><Link href="/admin/configurations" className="text-sm text-brand-700 underline">{k("back")}</Link></p>
      </div>
    </>
  );
}
