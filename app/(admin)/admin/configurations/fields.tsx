import { Field, SelectField } from "@/components/field";
import type { T } from "@/lib/i18n";

/** Name, certificate types and target: the same fields to create and to edit. */
export function ConfigurationFields({ t, groups, value }: {
  t: T;
  groups: { id: string; name: string }[];
  value?: { name: string; purposes: string[]; groupId: string | null };
}) {
  const k = (key: string) => t(`configurations.${key}`);
  const box = (name: string, purpose: string) => (
    <label className="flex min-h-11 items-center gap-2 text-sm">
      <input type="checkbox" name={name} className="size-5" defaultChecked={value ? value.purposes.includes(purpose) : true} />
      {k(name)}
    </label>
  );
  return (
    <>
      <Field label={k("nameLabel")} name="name" defaultValue={value?.name} maxLength={100} autoComplete="off" required />
      <fieldset className="flex flex-col gap-1">
        <legend className="text-sm font-medium text-slate-800">{k("purposesLegend")}</legend>
        {box("signing", "SIGNING")}
        {box("encryption", "ENCRYPTION")}
      </fieldset>
      <SelectField
        label={k("targetLabel")}
        name="target"
        defaultValue={value?.groupId ?? ""}
        options={[["", k("allUsers")], ...groups.map((g) => [g.id, t("configurations.group", { name: g.name })] as const)]}
      />
    </>
  );
}
