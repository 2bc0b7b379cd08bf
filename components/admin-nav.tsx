"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useT } from "./i18n-provider";

const ITEMS = [
  ["/admin", "dashboard"],
  ["/admin/devices", "devices"],
  ["/admin/users", "users"],
  ["/admin/directory", "directory"],
  ["/admin/groups", "groups"],
  ["/admin/privacy", "privacy"],
  ["/admin/enrollment", "enrollment"],
  ["/admin/certificates", "certificates"],
  ["/admin/configurations", "configurations"],
  ["/admin/android", "android"],
  ["/admin/jobs", "jobs"],
  ["/admin/settings", "settings"],
  ["/admin/audit", "audit"],
] as const;

export function AdminNav() {
  const t = useT();
  const path = usePathname();
  return (
    <nav aria-label={t("nav.main")}>
      <ul className="flex gap-1 overflow-x-auto md:flex-col">
        {ITEMS.map(([href, key]) => {
          const current = href === "/admin" ? path === href : path.startsWith(href);
          return (
            <li key={href}>
              <Link
                href={href}
                aria-current={current ? "page" : undefined}
                className="block whitespace-nowrap rounded-lg px-3 py-2 text-sm text-slate-700 hover:bg-slate-200 aria-[current=page]:bg-brand-600 aria-[current=page]:text-white"
              >
                {t(`nav.${key}`)}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
