/**
 * The filled part of a progress or usage bar. An SVG attribute, not style="width: …": the
 * Content-Security-Policy (proxy.ts) allows no inline style attributes.
 */
export function BarFill({ percent, className }: { percent: number; className: string }) {
  return (
    <svg className="block h-full w-full" aria-hidden="true" focusable="false">
      <rect height="100%" width={`${Math.max(0, Math.min(100, percent))}%`} className={className} />
    </svg>
  );
}
