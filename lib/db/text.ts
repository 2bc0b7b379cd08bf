// PostgreSQL text and jsonb cannot hold a NUL character: a query or write with one fails (a 500
// for what is only odd input, such as a search for %00). Text from outside drops it first.

export function withoutNul(s: string): string {
  return s.includes("\0") ? s.replace(/\0/g, "") : s;
}

/** The same through a JSON-like value (keys included), e.g. an audit event's details. */
export function withoutNulDeep(v: unknown): unknown {
  if (typeof v === "string") return withoutNul(v);
  if (Array.isArray(v)) return v.map(withoutNulDeep);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutNul(k), withoutNulDeep(x)]));
  }
  return v;
}
