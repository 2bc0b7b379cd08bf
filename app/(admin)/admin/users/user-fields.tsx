import type { T } from "@/lib/i18n";

/** Role, group and mail language: shared by the add form and the edit form. */
export function UserFields({ t, groups, user }: { t: T; groups: { id: string; name: string }[]; user?: { role: string; groupId: string | null; locale: string | null } }) {
  const select = "min-h-11 rounded-lg border border-slate-300 bg-white px-3";
  return (
    <div className="flex flex-wrap gap-3">
      <div className="flex flex-col gap-1">
        <label htmlFor="user-role" className="text-sm font-medium">{t("users.role")}</label>
        <select id="user-role" name="role" defaultValue={user?.role ?? "END_USER"} className={select}>
          <option value="END_USER">{t("users.roles.END_USER")}</option>
          <option value="ADMIN">{t("users.roles.ADMIN")}</option>
        </select>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor="user-group" className="text-sm font-medium">{t("usersAdmin.group")}</label>
        <select id="user-group" name="groupId" defaultValue={user?.groupId ?? ""} className={select}>
          <option value="">{t("usersAdmin.noGroup")}</option>
          {groups.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </select>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor="user-locale" className="text-sm font-medium">{t("usersAdmin.language")}</label>
        <select id="user-locale" name="locale" defaultValue={user?.locale ?? ""} className={select}>
          <option value="">{t("usersAdmin.languageDefault")}</option>
          <option value="ja">日本語</option>
          <option value="en">English</option>
        </select>
      </div>
    </div>
  );
}
