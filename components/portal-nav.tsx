"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useT } from "./i18n-provider";

// The self-service portal's sections: four equal tap targets, all visible on a 375 px phone.
const ITEMS = [
  ["/my", "devices"],
  ["/my/enroll", "enroll"],
  ["/my/certificates", "certificates"],
  ["/my/account", "account"],
] as const;

export function PortalNav() {
  const t = useT();
  const path = usePathname();
  return (
    <nav aria-label={t("portalNav.label")} className="border-b border-slate-200 bg-white">
      <ul className="grid grid-cols-4">
        {ITEMS.map(([href, key]) => {
          const current = href === "/my" ? path === href || path.startsWith("/my/devices") : path.startsWith(href);
          return (
            <li key={href}>
              <Link
                href={href}
                aria-current={current ? "page" : undefined}
                className="flex h-full min-h-12 items-center justify-center border-b-2 border-transparent px-1 py-2 text-center text-[13px] leading-tight text-slate-700 aria-[current=page]:border-brand-600 aria-[current=page]:font-semibold aria-[current=page]:text-brand-700"
              >
                {t(`portalNav.${key}`)}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
