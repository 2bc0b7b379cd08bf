import type { T } from "@/lib/i18n";
import { SelectField } from "@/components/field";

/** Role, group and mail language: shared by the add form and the edit form. */
export function UserFields({ t, groups, user }: { t: T; groups: { id: string; name: string }[]; user?: { role: string; groupId: string | null; locale: string | null } }) {
  return (
    <div className="flex flex-wrap gap-3">
      <SelectField label={t("users.role")} name="role" defaultValue={user?.role ?? "END_USER"} options={[["END_USER", t("users.roles.END_USER")], ["ADMIN", t("users.roles.ADMIN")]]} />
      <SelectField label={t("usersAdmin.group")} name="groupId" defaultValue={user?.groupId ?? ""} options={[["", t("usersAdmin.noGroup")], ...groups.map((g) => [g.id, g.name] as const)]} />
      <SelectField label={t("usersAdmin.language")} name="locale" defaultValue={user?.locale ?? ""} options={[["", t("usersAdmin.languageDefault")], ["ja", "日本語"], ["en", "English"]]} />
    </div>
  );
}
