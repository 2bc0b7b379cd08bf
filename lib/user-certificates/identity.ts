import { randomBytes } from "node:crypto";
import forge from "node-forge";
import { open, seal } from "@/lib/crypto";
import { readPkcs12, type Pkcs12Contents } from "@/lib/pki/pkcs12";
import type { UserCertificate } from "@/lib/db/generated/client";

// How a user's certificate is kept (sealed PKCS#12 and password) and rebuilt for a device.

const P12 = "user-certificate-pkcs12";
const PASSWORD = "user-certificate-password";

export function sealPkcs12(data: Buffer): string {
  return seal(data, P12);
}

export function sealPassword(password: string): string {
  return seal(password, PASSWORD);
}

/** The stored identity: key, certificate and chain; keyPem is null once the key was cleared. */
export function openIdentity(row: Pick<UserCertificate, "pkcs12Sealed" | "passwordSealed">): Pkcs12Contents {
  const data = open(row.pkcs12Sealed, P12);
  const password = row.passwordSealed ? open(row.passwordSealed, PASSWORD).toString("utf8") : "";
  return readPkcs12(data, password, { maxBytes: Number.MAX_SAFE_INTEGER });
}

/**
 * A PKCS#12 of the certificate (and chain) only: what "clear private key" keeps. No password
 * protects it because there is no secret left in it.
 */
export function certificateOnlyPkcs12(id: Pkcs12Contents): Buffer {
  const certs = [id.certPem, ...id.chainPems].map((p) => forge.pki.certificateFromPem(p));
  const asn1 = forge.pkcs12.toPkcs12Asn1(null, certs, null as unknown as string, { useMac: false } as never);
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

/**
 * A new PKCS#12 for one push, under a fresh random password: the user's own password never
 * leaves the server, and each profile's password opens that profile only. 3DES and a SHA-1
 * MAC because every iOS and macOS version reads them.
 */
export function devicePkcs12(id: Pkcs12Contents): { pkcs12: Buffer; password: string } {
  if (!id.keyPem) throw new Error("devicePkcs12: the key was cleared");
  const password = randomBytes(18).toString("base64url");
  const key = forge.pki.privateKeyFromPem(id.keyPem);
  const certs = [id.certPem, ...id.chainPems].map((p) => forge.pki.certificateFromPem(p));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: "3des", friendlyName: id.cert.commonName ?? undefined });
  return { pkcs12: Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"), password };
}
