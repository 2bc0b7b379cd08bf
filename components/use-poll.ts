"use client";

import { useEffect, useRef } from "react";

/**
 * The one polling loop of the console and the portal (command status, job progress, page
 * freshness): calls `tick` every `ms` while `active`, one call at a time, and pauses while the
 * tab is hidden (it ticks again at once when it shows). `tick` returning false stops the loop.
 */
export function usePoll(tick: () => Promise<boolean | void>, ms: number, active = true, immediate = false): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  });
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      timer = undefined;
      if (stopped) return;
      if (document.visibilityState === "hidden") return; // resumed by visibilitychange
      let more: boolean | void = true;
      try {
        more = await latest.current();
      } catch {
        // Offline for a moment: the next tick tries again.
      }
      if (!stopped && more !== false) timer = setTimeout(run, ms);
    };
    const onVisible = () => {
      if (document.visibilityState === "visible" && timer === undefined && !stopped) void run();
    };
    document.addEventListener("visibilitychange", onVisible);
    timer = setTimeout(run, immediate ? 0 : ms);
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [active, ms, immediate]);
}
