import { X509Certificate, createPrivateKey } from "node:crypto";
import forge from "node-forge";
import { UserError, isUserError } from "@/lib/errors";
import { type X509Info, describeDer, privateKeySpkiSha256 } from "@/lib/pki/x509";

export interface Pkcs12Contents {
  /** PKCS#8 PEM, or null when the file holds no key. */
  keyPem: string | null;
  certPem: string;
  /** The other certificates, in file order. */
  chainPems: string[];
  cert: X509Info;
}

export interface ReadPkcs12Options {
  requireKey?: boolean;
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 100 * 1024;

/** Read a .p12/.pfx made by OpenSSL 3 (PBES2/AES, SHA-256 MAC), legacy tools (RC2/3DES, SHA-1 MAC), Keychain or Windows. */
export function readPkcs12(data: Buffer, password: string, opts: ReadPkcs12Options = {}): Pkcs12Contents {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (data.length > maxBytes) throw new UserError("pkcs12.tooLarge", { maxKb: Math.floor(maxBytes / 1024) });

  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(data.toString("binary"));
  } catch {
    throw new UserError("pkcs12.notPkcs12");
  }
  const bags = decodeBags(asn1, password);

  const keyDers: Buffer[] = [];
  const certDers: Buffer[] = [];
  for (const bag of bags) {
    if (bag.type === forge.pki.oids.certBag) {
      const der = bag.cert ? asn1ToBuffer(forge.pki.certificateToAsn1(bag.cert)) : bag.asn1 && asn1ToBuffer(bag.asn1);
      if (der) certDers.push(der);
    } else if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) {
      // forge only builds key objects for RSA; other key types stay as PrivateKeyInfo ASN.1.
      const info = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
      if (info) keyDers.push(asn1ToBuffer(info));
    }
  }

  const certs = certDers.flatMap((der) => {
    try {
      return [{ der, info: describeDer(der) }];
    } catch {
      return []; // a bag forge could not read as X.509 is not worth failing the whole file
    }
  });
  if (certs.length === 0) throw new UserError("pkcs12.noCertificate");

  const keyDer = keyDers[0];
  if (!keyDer && opts.requireKey) throw new UserError("pkcs12.noPrivateKey");

  let keyPem: string | null = null;
  let leaf = certs.find((c) => !new X509Certificate(c.der).ca) ?? certs[0]!;
  if (keyDer) {
    try {
      keyPem = createPrivateKey({ key: keyDer, format: "der", type: "pkcs8" })
        .export({ type: "pkcs8", format: "pem" })
        .toString();
    } catch {
      throw new UserError("pkcs12.wrongPassword"); // only garbage after a MAC-less decryption gets here
    }
    const spki = privateKeySpkiSha256(keyPem);
    const match = certs.find((c) => c.info.publicKeySpkiSha256 === spki);
    if (!match) throw new UserError("pkcs12.keyMismatch");
    leaf = match;
  }

  return {
    keyPem,
    certPem: leaf.info.pem,
    chainPems: certs.filter((c) => c !== leaf).map((c) => c.info.pem),
    cert: leaf.info,
  };
}

function asn1ToBuffer(obj: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(obj).getBytes(), "binary");
}

function decodeBags(asn1: forge.asn1.Asn1, password: string): forge.pkcs12.Bag[] {
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    pfx = withIterationLimit(() => withUtf8Pbes2Passwords(() => forge.pkcs12.pkcs12FromAsn1(asn1, false, password)));
  } catch (e) {
    if (isUserError(e)) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/not an PKCS#12 PFX/.test(msg)) throw new UserError("pkcs12.notPkcs12");
    if (/unsupported|only pkcs#12 pfx in password integrity/i.test(msg)) throw new UserError("pkcs12.unsupported");
    // MAC mismatch, or (files without a MAC) a decryption that fails or yields garbage.
    throw new UserError("pkcs12.wrongPassword");
  }
  return pfx.safeContents.flatMap((sc) => sc.safeBags);
}

interface PbeModule {
  getCipherForPBES2(oid: string, params: unknown, password: unknown): unknown;
}

/**
 * PKCS#12 derives the MAC key and the legacy PBE keys from the password as UTF-16 (BMPString),
 * but PBES2/PBKDF2 (OpenSSL 3's default AES encryption) takes the password's UTF-8 bytes.
 * forge passes the same JS string to both, so a non-ASCII password passes the MAC check and
 * then fails to decrypt. Feed PBES2 the UTF-8 bytes for the duration of one (synchronous) call.
 */
function withUtf8Pbes2Passwords<T>(fn: () => T): T {
  const pbe = (forge.pki as unknown as { pbe: PbeModule }).pbe;
  const original = pbe.getCipherForPBES2;
  pbe.getCipherForPBES2 = (oid, params, password) =>
    original.call(pbe, oid, params, typeof password === "string" ? forge.util.encodeUtf8(password) : password);
  try {
    return fn();
  } finally {
    pbe.getCipherForPBES2 = original;
  }
}

/**
 * Most key-derivation rounds a file may ask for. Exporters use 2,000 to 10,000 (OpenSSL, Windows,
 * Keychain, Java); forge runs 200,000 in about a second. The count is the file's to choose, and
 * forge would spin on one of 2^31 (or a 70 KB INTEGER) for ever, blocking the server.
 */
export const MAX_KDF_ITERATIONS = 200_000;

type Kdf = (...args: unknown[]) => unknown;

/** Refuse, before deriving, any MAC, PKCS#12-PBE or PBKDF2 key asking for more rounds. */
function withIterationLimit<T>(fn: () => T): T {
  const f = forge as unknown as { pkcs12: Record<string, Kdf>; pki: { pbe: Record<string, Kdf> }; pkcs5: Record<string, Kdf> };
  // [module, function name, index of the iteration count among its arguments]
  const guarded = [[f.pkcs12, "generateKey", 3], [f.pki.pbe, "generatePkcs12Key", 3], [f.pkcs5, "pbkdf2", 2]] as const;
  const originals = guarded.map(([mod, name]) => mod[name]!);
  guarded.forEach(([mod, name, at], i) => {
    mod[name] = (...args: unknown[]) => {
      const n = Number(args[at]);
      if (!(n >= 1 && n <= MAX_KDF_ITERATIONS)) throw new UserError("pkcs12.tooManyIterations", { max: MAX_KDF_ITERATIONS });
      return originals[i]!(...args);
    };
  });
  try {
    return fn();
  } finally {
    guarded.forEach(([mod, name], i) => (mod[name] = originals[i]!));
  }
}

