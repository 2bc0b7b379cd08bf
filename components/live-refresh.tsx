"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { usePoll } from "./use-poll";

/** How often a page with work under way looks again, and one where nothing is pending. */
export const FAST_MS = 2500;
export const SLOW_MS = 15_000;

/**
 * Keeps a server-rendered admin page current: polls `src` for a version of what the page shows
 * (a few bytes) and re-renders the page (router.refresh keeps open panels and typed values) only
 * when it changed. Fast while something is pending, slow otherwise.
 */
export function LiveRefresh({ src, ids, version, pending }: {
  src: string;
  /** Appended as ?ids=…: passed as the very array other props carry, it is serialized once. */
  ids?: string[];
  version: string;
  pending: boolean;
}) {
  const router = useRouter();
  const seen = useRef(version);
  useEffect(() => {
    seen.current = version;
  }, [version]);
  usePoll(async () => {
    const res = await fetch(ids ? `${src}?ids=${ids.join(",")}` : src, { cache: "no-store" });
    if (!res.ok) return;
    const live = (await res.json()) as { version: string };
    if (live.version !== seen.current) {
      seen.current = live.version;
      router.refresh();
    }
  }, pending ? FAST_MS : SLOW_MS);
  return <span hidden data-testid="live-refresh" data-pending={pending ? "true" : "false"} />;
}
