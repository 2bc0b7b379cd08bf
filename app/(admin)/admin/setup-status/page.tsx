import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { checklistComplete, setupChecklist } from "@/lib/setup-checklist";
import { Card, PageHeader } from "@/components/page-header";
import { SetupChecklist } from "@/components/setup-checklist";

export default async function SetupStatusPage() {
  await view.admin("/admin/setup-status");
  const [t, items] = [await getT(), await setupChecklist()];
  return (
    <>
      <PageHeader title={t("checklist.title")} intro={t(checklistComplete(items) ? "checklist.introDone" : "checklist.intro")} />
      <Card>
        <SetupChecklist t={t} items={items} />
      </Card>
    </>
  );
}
