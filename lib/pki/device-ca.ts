import { openString, seal } from "@/lib/crypto";
import { prisma } from "@/lib/db/client";
import { type CaMaterial, createCa } from "@/lib/pki/ca";
import { describeCertificate } from "@/lib/pki/x509";

// The CA that signs device identity certificates (SCEP) and answers as the SCEP server. One row
// per purpose, created on first use; its key is sealed at rest.

export interface StoredCa extends CaMaterial {
  /** "AB:CD:…" SHA-256 of the certificate, as stored. */
  fingerprint: string;
  subject: string;
  notAfter: Date;
}

const KEY_CONTEXT = "ca-key";

// Next.js loads modules more than once per process; keep one cache on globalThis. The row is
// read on every call (so a CA replaced by another instance is seen) but the key is unsealed only
// when the fingerprint changes.
const g = globalThis as unknown as { __mamoriCaCache?: Map<string, StoredCa> };
const cache = (g.__mamoriCaCache ??= new Map());

export function deviceCa(): Promise<StoredCa> {
  return loadOrCreateCa("device", "Mamori Device CA", 10);
}

/** The CA row for `purpose`; when two instances race to create it, both end up with the winner's. */
export async function loadOrCreateCa(purpose: string, commonName: string, years: number): Promise<StoredCa> {
  const db = prisma();
  let row = await db.certificateAuthority.findUnique({ where: { purpose } });
  if (!row) {
    const ca = createCa({ commonName, years });
    const info = describeCertificate(ca.certPem);
    // INSERT ... ON CONFLICT DO NOTHING: the loser's fresh CA is simply dropped.
    await db.certificateAuthority.createMany({
      data: [
        {
          purpose,
          certPem: ca.certPem,
          keySealed: seal(ca.keyPem, KEY_CONTEXT),
          subject: info.subject,
          fingerprint: info.fingerprintSha256,
          notAfter: info.notAfter,
        },
      ],
      skipDuplicates: true,
    });
    row = await db.certificateAuthority.findUniqueOrThrow({ where: { purpose } });
  }
  const cached = cache.get(purpose);
  if (cached?.fingerprint === row.fingerprint) return cached;
  const fresh: StoredCa = {
    certPem: row.certPem,
    keyPem: openString(row.keySealed, KEY_CONTEXT),
    fingerprint: row.fingerprint,
    subject: row.subject,
    notAfter: row.notAfter,
  };
  cache.set(purpose, fresh);
  return fresh;
}
