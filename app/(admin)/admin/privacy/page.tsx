import Link from "next/link";
import { view } from "@/lib/auth/guard";
import { getT } from "@/lib/i18n/server";
import { getSetting } from "@/lib/settings";
import { listGroups } from "@/lib/groups";
import { groupOverrides, resolvePrivacy, PRIVACY_KEYS } from "@/lib/privacy";
import { ActionForm } from "@/components/action-form";
import { Card, PageHeader } from "@/components/page-header";
import { saveGlobal, saveGroup } from "./actions";

export default async function PrivacyPage() {
  await view.admin("/admin/privacy");
  const t = await getT();
  const [global, groups, overrides] = await Promise.all([getSetting("privacy"), listGroups(), groupOverrides()]);
  const yes = (v: boolean) => t(v ? "privacy.allowed" : "privacy.denied");
  return (
    <>
      <PageHeader title={t("privacy.title")} intro={t("privacy.intro")} />
      <div className="flex flex-col gap-4">
        <Card title={t("privacy.globalTitle")}>
          <div className="max-w-xl">
            <ActionForm action={saveGlobal} submitLabel={t("common.save")} pendingLabel={t("common.saving")} testId="privacy-global">
              <fieldset className="flex flex-col gap-3">
                <legend className="mb-2 text-sm text-slate-600">{t("privacy.globalHint")}</legend>
                {PRIVACY_KEYS.map((k) => (
                  <label key={k} className="flex items-start gap-3">
                    <input type="checkbox" name={k} defaultChecked={global[k]} className="mt-1 size-4" />
                    <span>
                      <span className="block text-sm font-medium">{t(`privacy.keys.${k}.label`)}</span>
                      <span className="block text-xs text-slate-600">{t(`privacy.keys.${k}.hint`)}</span>
                    </span>
                  </label>
                ))}
              </fieldset>
            </ActionForm>
          </div>
        </Card>
        <Card title={t("privacy.groupsTitle")}>
          {groups.length === 0 ? (
            <p className="text-sm text-slate-600">{t("privacy.noGroups")} <Link href="/admin/groups" className="text-brand-700 underline">{t("privacy.toGroups")}</Link></p>
          ) : (
            <ul className="flex flex-col gap-4">
              {groups.map((g) => {
                const o = overrides.get(g.id);
                const effective = resolvePrivacy(global, o);
                return (
                  <li key={g.id} className="rounded-xl p-4 ring-1 ring-slate-200" data-testid="privacy-group" data-name={g.name}>
                    <h3 className="font-medium">{g.name} <span className="text-sm font-normal text-slate-600">{t("groups.members", { count: g._count.users })}</span></h3>
                    <ActionForm action={saveGroup} submitLabel={t("common.save")} pendingLabel={t("common.saving")} className="mt-2 flex flex-col gap-3">
                      <input type="hidden" name="groupId" value={g.id} />
                      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                        {PRIVACY_KEYS.map((k) => {
                          const v = o?.[k];
                          return (
                            <label key={k} className="flex flex-col gap-1 text-sm">
                              <span className="font-medium">{t(`privacy.keys.${k}.label`)}</span>
                              <select name={k} defaultValue={v === null || v === undefined ? "inherit" : v ? "allow" : "deny"} className="min-h-11 rounded-lg border border-slate-300 bg-white px-2">
                                <option value="inherit">{t("privacy.inherit", { value: yes(global[k]) })}</option>
                                <option value="allow">{t("privacy.allow")}</option>
                                <option value="deny">{t("privacy.deny")}</option>
                              </select>
                              <span className="text-xs text-slate-600" data-testid={`effective-${k}`}>{t("privacy.effective", { value: yes(effective[k]) })}</span>
                            </label>
                          );
                        })}
                      </div>
                    </ActionForm>
                  </li>
                );
              })}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
