import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import {
  Client,
  escapeFilter,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  ProtocolError,
  ResultCodeError,
  TLSNotSupportedError,
  UnavailableError,
  BusyError,
  type Entry,
} from "ldapts";
import { UserError } from "@/lib/errors";
import { bindPassword, FALLBACK_NAME_ATTRIBUTE, type DirectoryConfig } from "./config";

// One LDAP conversation with the configured directory through ldapts: ldap:// (optionally
// upgraded with StartTLS) or ldaps://, certificates checked against the system store or the
// configured CA, host names always verified. Failures become UserError("directory.*") with a
// sentence the admin can act on.

const CONNECT_TIMEOUT_MS = 5_000;
const OPERATION_TIMEOUT_MS = 30_000;
export const PAGE_SIZE = 200;

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL)/;
const NET_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "ECONNRESET", "EAI_AGAIN", "EPIPE"]);

/** Turns what ldapts, net or tls threw into a UserError the admin can act on. */
export function classify(e: unknown, stage: "connect" | "bind" | "search", config: Pick<DirectoryConfig, "url" | "baseDn" | "bindDn">): UserError {
  const err = e as { code?: unknown; message?: string };
  const code = typeof err?.code === "string" ? err.code : "";
  const host = safeHost(config.url);
  if (e instanceof UserError) return e;
  if (TLS_CODES.test(code) || /certificate|tls|ssl/i.test(err?.message ?? "") || e instanceof TLSNotSupportedError)
    return new UserError("directory.tlsFailed", { host, reason: code || String(err?.message ?? "").slice(0, 200) });
  if (NET_CODES.has(code) || /timeout/i.test(err?.message ?? "") || e instanceof UnavailableError || e instanceof BusyError)
    return new UserError("directory.unreachable", { host, reason: code || String(err?.message ?? "").slice(0, 200) });
  if (e instanceof InvalidCredentialsError) return new UserError("directory.bindRefused", { dn: config.bindDn });
  if (e instanceof NoSuchObjectError) return new UserError("directory.baseNotFound", { dn: config.baseDn });
  if (e instanceof InvalidDNSyntaxError) return new UserError(stage === "bind" ? "directory.bindDnInvalid" : "directory.baseDnInvalid", {});
  if (e instanceof ProtocolError && stage === "connect") return new UserError("directory.tlsFailed", { host, reason: "StartTLS" });
  if (e instanceof ResultCodeError) return new UserError("directory.failed", { reason: `${e.name} (${e.code})` });
  return new UserError("directory.failed", { reason: String(err?.message ?? e).slice(0, 200) });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function tlsOptions(config: DirectoryConfig): ConnectionOptions {
  const { hostname } = new URL(config.url);
  const host = hostname.replace(/^\[|\]$/g, "");
  return {
    ...(config.caPem ? { ca: config.caPem } : {}),
    // `host` is what Node verifies the certificate against; SNI only for names, not addresses.
    host,
    ...(isIP(host) ? {} : { servername: host }),
    minVersion: "TLSv1.2",
  };
}

/** Connects (StartTLS when configured) without binding; the caller binds and unbinds. */
export async function connect(config: DirectoryConfig): Promise<Client> {
  const secure = config.url.startsWith("ldaps:");
  // ldapts treats any tlsOptions as "connect with TLS": give them only to ldaps://.
  const client = new Client({ url: config.url, connectTimeout: CONNECT_TIMEOUT_MS, timeout: OPERATION_TIMEOUT_MS, ...(secure ? { tlsOptions: tlsOptions(config) } : {}), strictDN: false });
  if (config.startTls && !secure) {
    try {
      await client.startTLS(tlsOptions(config));
    } catch (e) {
      await client.unbind().catch(() => {});
      throw classify(e, "connect", config);
    }
  }
  return client;
}

/** Runs `fn` on a connection bound as the service account, and always closes it. */
export async function withServiceBind<T>(config: DirectoryConfig, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(config);
  try {
    const password = bindPassword(config);
    // Never an empty password: the server would take it as an anonymous bind and "succeed".
    if (!password) throw new UserError("directory.notConfigured");
    try {
      await client.bind(config.bindDn, password);
    } catch (e) {
      throw classify(e, "bind", config);
    }
    return await fn(client);
  } finally {
    await client.unbind().catch(() => {});
  }
}

export interface DirectoryEntry {
  dn: string;
  username: string;
  email: string;
  name: string;
  group: string | null;
}

function first(entry: Entry, attr: string): string {
  // Attribute names come back as the server spells them; compare case-insensitively.
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attr.toLowerCase());
  const v = key ? entry[key] : undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? "" : Buffer.isBuffer(one) ? one.toString("utf8") : String(one).trim();
}

/** A group value: the first RDN's value when the attribute holds a DN (memberOf), else as is. */
export function groupName(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  const m = /^[A-Za-z][\w-]*=((?:\\.|[^,\\])+),/.exec(v);
  // RFC 4514 escapes: \XX hex pairs (UTF-8 bytes) and \<char>.
  const unescape = (x: string) => x.replace(/(?:\\[0-9A-Fa-f]{2})+/g, (h) => Buffer.from(h.replace(/\\/g, ""), "hex").toString("utf8")).replace(/\\(.)/g, "$1");
  return (m ? unescape(m[1]!) : v).slice(0, 200);
}

export function toEntry(e: Entry, c: DirectoryConfig): DirectoryEntry {
  const username = first(e, c.usernameAttribute);
  return {
    dn: e.dn,
    username,
    email: first(e, c.emailAttribute),
    name: first(e, c.nameAttribute) || first(e, FALLBACK_NAME_ATTRIBUTE) || username,
    group: c.groupAttribute ? groupName(first(e, c.groupAttribute)) : null,
  };
}

function attributes(c: DirectoryConfig): string[] {
  return [...new Set([c.usernameAttribute, c.emailAttribute, c.nameAttribute, FALLBACK_NAME_ATTRIBUTE, ...(c.groupAttribute ? [c.groupAttribute] : [])])];
}

/** Every entry under the base DN matching the filter, fetched page by page (paged results control). */
export async function* searchEntries(client: Client, c: DirectoryConfig, filter = c.filter, pageSize = PAGE_SIZE): AsyncGenerator<DirectoryEntry> {
  try {
    for await (const page of client.searchPaginated(c.baseDn, { scope: "sub", filter, attributes: attributes(c), paged: { pageSize } })) {
      for (const e of page.searchEntries) yield toEntry(e, c);
    }
  } catch (e) {
    throw classify(e, "search", c);
  }
}

/** The filter narrowed to one username; the value is escaped (RFC 4515). */
export function userFilter(c: DirectoryConfig, username: string): string {
  return `(&${c.filter}(${c.usernameAttribute}=` + escapeFilter`${username}` + "))";
}

/** Test connection: connects, binds, reads the base DN and counts the users the filter matches. */
export async function testConnection(c: DirectoryConfig, pageSize = PAGE_SIZE): Promise<{ count: number; sample: DirectoryEntry[] }> {
  return withServiceBind(c, async (client) => {
    try {
      await client.search(c.baseDn, { scope: "base", filter: "(objectClass=*)", attributes: ["1.1"] });
    } catch (e) {
      throw classify(e, "search", c);
    }
    let count = 0;
    const sample: DirectoryEntry[] = [];
    for await (const e of searchEntries(client, c, c.filter, pageSize)) {
      if (sample.length < 3) sample.push(e);
      count++;
    }
    return { count, sample };
  });
}

export type PasswordCheck = "ok" | "wrongPassword" | "notInDirectory";

/**
 * Checks a directory user's password: the service account finds the user's DN under the
 * base DN and filter, then a second connection binds as that DN with the password.
 * Throws UserError("directory.*") when the directory cannot be asked.
 */
export async function verifyDirectoryPassword(c: DirectoryConfig, username: string, password: string): Promise<PasswordCheck> {
  if (!password) return "wrongPassword";
  const found = await withServiceBind(c, async (client) => {
    const out: DirectoryEntry[] = [];
    for await (const e of searchEntries(client, c, userFilter(c, username), 2)) out.push(e);
    return out;
  });
  if (found.length !== 1 || found[0]!.username.toLowerCase() !== username.toLowerCase()) return "notInDirectory";
  const client = await connect(c);
  try {
    await client.bind(found[0]!.dn, password);
    return "ok";
  } catch (e) {
    if (e instanceof InvalidCredentialsError) return "wrongPassword";
    throw classify(e, "bind", c);
  } finally {
    await client.unbind().catch(() => {});
  }
}
