import { requireAdmin } from "@/lib/auth/session";
import { prisma } from "@/lib/db/client";
import { getFormatter, getT } from "@/lib/i18n/server";
import { Card, PageHeader } from "@/components/page-header";
import { Pager } from "@/components/pager";

const PAGE_SIZE = 50;

export default async function UsersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireAdmin("/admin/users");
  const [t, fmt] = [await getT(), await getFormatter()];
  const page = Math.max(1, Number((await searchParams).page) || 1);
  const [users, total] = await Promise.all([
    prisma().user.findMany({ orderBy: [{ role: "asc" }, { email: "asc" }], take: PAGE_SIZE, skip: (page - 1) * PAGE_SIZE }),
    prisma().user.count(),
  ]);
  return (
    <>
      <PageHeader title={t("users.title")} intro={t("users.intro")} />
      <Card>
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 text-slate-600">
              <tr>
                {["name", "email", "role", "source", "status", "created"].map((k) => (
                  <th key={k} scope="col" className="py-2 pr-3 font-medium">{t(`users.${k}`)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className="border-b border-slate-100">
                  <td className="py-2 pr-3">{u.displayName}</td>
                  <td className="py-2 pr-3 break-all">{u.email}</td>
                  <td className="py-2 pr-3">{t(`users.roles.${u.role}`)}</td>
                  <td className="py-2 pr-3">{t(`users.sources.${u.source}`)}</td>
                  <td className="py-2 pr-3">{t(u.disabled ? "users.disabled" : "users.active")}</td>
                  <td className="py-2 pr-3 whitespace-nowrap">{fmt(u.createdAt, "short")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} params={{}} t={t} />
      </Card>
    </>
  );
}
