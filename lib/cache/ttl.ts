// A few seconds' memory for numbers a page shows at a glance and nobody acts on (the
// dashboard's trend charts): each instance keeps its own copy for `ms`, so admins reloading
// the dashboard at 100,000 devices do not group a million commands on every view. Never for
// state or decisions: those are read live. A failed load is not kept.

const entries = new Map<string, { until: number; value: Promise<unknown> }>();
const MAX = 100;

/** `keep`: whether a loaded value is worth keeping (e.g. only counts too large to read live). */
export function cachedFor<T>(key: string, ms: number, load: () => Promise<T>, now = Date.now(), keep?: (value: T) => boolean): Promise<T> {
  const hit = entries.get(key);
  if (hit && hit.until > now) return hit.value as Promise<T>;
  const value = load();
  if (entries.size >= MAX) entries.clear();
  entries.set(key, { until: now + ms, value });
  const forget = () => {
    if (entries.get(key)?.value === value) entries.delete(key);
  };
  value.then((v) => keep && !keep(v) && forget(), forget);
  return value;
}
