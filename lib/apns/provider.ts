import { X509Certificate, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { APNS_PRODUCTION_URL, ApnsClient, type ApnsClientOptions } from "./client";

// One ApnsClient per push certificate, reused across requests. A renewed certificate (new
// fingerprint, same topic) replaces the old client on the next push, without a restart.

export interface PushIdentity {
  certPem: string;
  keyPem: string;
}

export interface ProviderOptions extends Omit<ApnsClientOptions, "certPem" | "keyPem"> {
  /** What a new certificate replaces (e.g. the tenant id); defaults to the certificate's topic. */
  slot?: string;
}

interface Entry {
  fingerprint: string;
  client: ApnsClient;
}

// On globalThis: Next.js may evaluate this module more than once (per bundle, on HMR), and
// a second cache would mean a second set of connections to Apple.
const CACHE_KEY = "__mamoriApnsClients";
type WithCache = typeof globalThis & { [CACHE_KEY]?: Map<string, Entry> };

function cache(): Map<string, Entry> {
  const g = globalThis as WithCache;
  return (g[CACHE_KEY] ??= new Map());
}

/** SHA-256 of the certificate DER, lower-case hex. */
export function certificateFingerprint(certPem: string): string {
  return createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex");
}

/** The APNs topic of an MDM push certificate: its subject UID, if it has one. */
export function pushTopic(certPem: string): string | undefined {
  const line = new X509Certificate(certPem).subject.split("\n").find((l) => l.startsWith("UID="));
  return line?.slice(4);
}

export function getApnsClient(identity: PushIdentity, opts: ProviderOptions = {}): ApnsClient {
  const fingerprint = certificateFingerprint(identity.certPem);
  const slot = opts.slot ?? pushTopic(identity.certPem) ?? fingerprint;
  const clients = cache();
  const current = clients.get(slot);
  if (current?.fingerprint === fingerprint && !current.client.isClosed) return current.client;
  // Pushes already running on the old client finish; close() only stops new ones.
  if (current) void current.client.close();
  const { slot: _slot, ...clientOpts } = opts;
  const caFile = process.env.APNS_CA_FILE;
  const client = new ApnsClient({
    ...clientOpts,
    url: clientOpts.url ?? (process.env.APNS_URL || APNS_PRODUCTION_URL),
    ca: clientOpts.ca ?? (caFile ? readFileSync(caFile, "utf8") : undefined),
    certPem: identity.certPem,
    keyPem: identity.keyPem,
  });
  clients.set(slot, { fingerprint, client });
  return client;
}

/** Closes every cached client (shutdown, tests). */
export async function closeApnsClients(): Promise<void> {
  const clients = cache();
  const all = [...clients.values()].map((e) => e.client.close());
  clients.clear();
  await Promise.all(all);
}
