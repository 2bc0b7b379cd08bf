"use client";

import { useEffect, useRef } from "react";
import { useRouter } from "next/navigation";
import Link from "next/link";

// A dashboard chart: Chart.js draws the bars on a canvas (script-set canvas sizes are allowed by
// our Content-Security-Policy; inline style attributes are not, and none are rendered), and a
// list of the same numbers under it is the text alternative, the keyboard path (each row links
// to the filtered device list, as a click on its bar does) and what shows without JavaScript.

export interface ChartBar {
  label: string;
  value: number;
  href: string | null;
}

/** Palette colours as the page's CSS has them, so the chart follows the light or dark scheme. */
function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#1f7a5c";
}

export function BarChart({ id, title, bars, horizontal = false, empty }: { id: string; title: string; bars: ChartBar[]; horizontal?: boolean; empty: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const router = useRouter();
  const total = bars.reduce((s, b) => s + b.value, 0);
  const key = JSON.stringify(bars);

  useEffect(() => {
    if (!canvas.current || total === 0) return;
    let chart: { destroy(): void } | undefined;
    let cancelled = false;
    const scheme = matchMedia("(prefers-color-scheme: dark)");
    const draw = async () => {
      const { Chart, BarController, BarElement, CategoryScale, LinearScale, Tooltip } = await import("chart.js");
      if (cancelled || !canvas.current) return;
      Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);
      chart?.destroy();
      const grid = cssColor("--color-slate-200");
      const text = cssColor("--color-slate-600");
      chart = new Chart(canvas.current, {
        type: "bar",
        data: {
          labels: bars.map((b) => b.label),
          datasets: [{ data: bars.map((b) => b.value), backgroundColor: cssColor("--color-brand-600"), hoverBackgroundColor: cssColor("--color-brand-700"), borderRadius: 3 }],
        },
        options: {
          indexAxis: horizontal ? "y" : "x",
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false }, tooltip: { enabled: true } },
          scales: {
            x: { grid: { color: grid }, ticks: { color: text, precision: 0 }, beginAtZero: true },
            y: { grid: { color: grid }, ticks: { color: text, precision: 0 }, beginAtZero: true },
          },
          onHover: (e, items) => {
            const target = e.native?.target as HTMLElement | undefined;
            if (target) target.style.cursor = items.length && bars[items[0]!.index]?.href ? "pointer" : "default";
          },
          onClick: (_e, items) => {
            const href = items.length ? bars[items[0]!.index]?.href : null;
            if (href) router.push(href);
          },
        },
      });
    };
    void draw();
    const redraw = () => void draw();
    scheme.addEventListener("change", redraw);
    return () => {
      cancelled = true;
      scheme.removeEventListener("change", redraw);
      chart?.destroy();
    };
    // `key` stands for the bars: redraw only when the numbers change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, horizontal, total, router]);

  return (
    <figure className="flex flex-col gap-2" aria-labelledby={`${id}-title`} data-testid={`chart-${id}`}>
      <figcaption><h3 id={`${id}-title`} className="text-sm font-medium text-slate-700">{title}</h3></figcaption>
      {total === 0 ? (
        <p className="text-sm text-slate-600">{empty}</p>
      ) : (
        <>
          <div className={horizontal ? "relative h-56" : "relative h-44"} aria-hidden="true">
            <canvas ref={canvas} data-testid="chart-canvas" />
          </div>
          <ul className="grid grid-cols-2 gap-x-4 gap-y-0.5 text-xs" data-testid="chart-values">
            {bars.map((b) => (
              <li key={b.label} className="flex justify-between gap-2">
                {b.href ? <Link href={b.href} className="text-brand-700 underline">{b.label}</Link> : <span className="text-slate-700">{b.label}</span>}
                <span className="tabular-nums text-slate-800">{b.value.toLocaleString("en-US")}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </figure>
  );
}
