const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID: ids from URLs and forms are checked before they reach a uuid column. */
export function isUuid(s: unknown): s is string {
  return typeof s === "string" && UUID.test(s);
}
