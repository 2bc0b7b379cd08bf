import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getFormatter, getT } from "@/lib/i18n/server";
import { listConfigurations } from "@/lib/configurations/service";
import { groupChoices } from "@/lib/groups";
import { ActionForm } from "@/components/action-form";
import { Card, PageHeader } from "@/components/page-header";
import { ConfigurationFields } from "./fields";
import { createConfiguration } from "./actions";

export default async function ConfigurationsPage() {
  await view.admin("/admin/configurations");
  const [t, fmt] = [await getT(), await getFormatter()];
  const [configs, groups] = await Promise.all([listConfigurations(), groupChoices()]);
  const k = (key: string) => t(`configurations.${key}`);
  return (
    <>
      <PageHeader title={k("title")} intro={k("intro")} />
      <div className="flex flex-col gap-4">
        <Card title={k("list")}>
          {configs.length === 0 ? (
            <p className="text-sm text-slate-600">{k("empty")}</p>
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-slate-200 text-slate-600">
                  <tr>{["name", "kind", "purposes", "target", "installations", "created"].map((c) => <th key={c} scope="col" className="py-2 pr-3 font-medium">{k(c)}</th>)}</tr>
                </thead>
                <tbody>
                  {configs.map((c) => (
                    <tr key={c.id} className="border-b border-slate-100" data-testid="configuration-row">
                      <td className="py-2 pr-3"><Link href={`/admin/configurations/${c.id}`} className="text-brand-700 underline">{c.name}</Link></td>
                      <td className="py-2 pr-3">{t(`configurations.kinds.${c.kind}`)}</td>
                      <td className="py-2 pr-3">{c.purposes.map((p) => t(`myCertificates.purposes.${p}`)).join(", ")}</td>
                      <td className="py-2 pr-3">{c.group ? t("configurations.group", { name: c.group.name }) : k("allUsers")}</td>
                      <td className="py-2 pr-3">{c._count.installations}</td>
                      <td className="py-2 pr-3 whitespace-nowrap">{fmt(c.createdAt, "short")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card title={k("createTitle")}>
          <ActionForm action={createConfiguration} submitLabel={k("create")} pendingLabel={k("creating")} testId="configuration-create" className="flex max-w-xl flex-col gap-3">
            <ConfigurationFields t={t} groups={groups} />
          </ActionForm>
        </Card>
      </div>
    </>
  );
}
