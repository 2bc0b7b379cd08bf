import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUserError } from "@/lib/errors";
import { type CaMaterial, createCa, createCsr, issueCertificate, newRsaKeyPem } from "@/lib/pki/ca";
import {
  CIPHERS,
  type CipherName,
  attrValue,
  degenerateCertificates,
  envelopeData,
  openEnvelopedData,
  parseSignedData,
  signData,
  verifyMdmSignature,
  verifySignedData,
} from "@/lib/pki/cms";
import { certificatesFromInput, describeCertificate } from "@/lib/pki/x509";
import { codeOf } from "@/tests/support/refusal";

let dir: string;
let ca: CaMaterial;
let alice: CaMaterial;
let bob: CaMaterial;
const body = Buffer.from('<?xml version="1.0"?><plist><dict><key>MessageType</key><string>Authenticate</string></dict></plist>\n');

function identity(cn: string): CaMaterial {
  const keyPem = newRsaKeyPem();
  return { keyPem, certPem: issueCertificate(ca, { csr: createCsr({ keyPem, subject: [["CN", cn]] }), days: 30 }) };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mamori-cms-"));
  ca = createCa({ commonName: "Mamori CMS Test CA", years: 1 });
  alice = identity("alice");
  bob = identity("bob");
  writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
  writeFileSync(path.join(dir, "alice.pem"), alice.certPem);
  writeFileSync(path.join(dir, "alice.key"), alice.keyPem);
  writeFileSync(path.join(dir, "body.bin"), body);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]) {
  const r = spawnSync("openssl", args, { cwd: dir });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}


function forgeSign(content: Buffer, detached: boolean): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString("binary"));
  p7.addCertificate(alice.certPem);
  p7.addSigner({
    key: forge.pki.privateKeyFromPem(alice.keyPem),
    certificate: alice.certPem,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data },
      { type: forge.pki.oids.messageDigest! },
      { type: forge.pki.oids.signingTime! },
    ],
  });
  p7.sign({ detached });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary");
}

function opensslSign(md: "sha256" | "sha1", attached: boolean): Buffer {
  const out = `sig-${md}-${attached}.der`;
  const r = openssl([
    "cms", "-sign", "-binary", "-in", "body.bin", "-signer", "alice.pem", "-inkey", "alice.key",
    "-md", md, "-outform", "DER", "-out", out, ...(attached ? ["-nodetach"] : []),
  ]);
  expect(r.status, r.out).toBe(0);
  return readFileSync(path.join(dir, out));
}

describe("verifySignedData", () => {
  it("verifies forge's signatures, attached and detached (its signed attributes are not DER-sorted)", () => {
    const attached = verifySignedData(forgeSign(body, false));
    expect(attached.content.equals(body)).toBe(true);
    expect(describeCertificate(attached.signerCertPem).commonName).toBe("alice");
    const detached = verifySignedData(forgeSign(body, true), { detachedContent: body });
    expect(detached.signerCertPem).toBe(attached.signerCertPem);
    expect(detached.digest).toBe("sha256");
  });

  for (const md of ["sha256", "sha1"] as const) {
    it(`verifies openssl cms -sign -binary with ${md}, attached and detached`, () => {
      const a = verifySignedData(opensslSign(md, true));
      expect(a.content.equals(body)).toBe(true);
      expect(a.digest).toBe(md);
      expect(describeCertificate(a.signerCertPem).commonName).toBe("alice");
      const d = verifySignedData(opensslSign(md, false), { detachedContent: body });
      expect(d.content.equals(body)).toBe(true);
      expect(d.signedAttributes.has("1.2.840.113549.1.9.5")).toBe(true); // signingTime
    });
  }

  it("refuses a tampered body, a tampered signed attribute and a swapped signer certificate", () => {
    const tampered = Buffer.from(body);
    tampered[10] = tampered[10]! ^ 1;
    expect(codeOf(() => verifySignedData(opensslSign("sha256", false), { detachedContent: tampered }))).toBe("cms.badSignature");
    const attached = opensslSign("sha256", true);
    const at = attached.indexOf(body.subarray(0, 20));
    const bad = Buffer.from(attached);
    bad[at + 10] = bad[at + 10]! ^ 1;
    expect(codeOf(() => verifySignedData(bad))).toBe("cms.badSignature");
    // Attached content and a different detached one: not the signed body.
    expect(codeOf(() => verifySignedData(attached, { detachedContent: tampered }))).toBe("cms.badSignature");

    // A signed attribute changed after signing.
    const signed = signData(body, alice, { detached: true, attributes: [{ oid: "2.16.840.1.113733.1.9.7", value: attrValue.printable("transaction-A") }] });
    expect(verifySignedData(signed, { detachedContent: body }).signedAttributes.size).toBe(4);
    const at2 = signed.indexOf(Buffer.from("transaction-A"));
    const bad2 = Buffer.from(signed);
    bad2[at2 + 12] = "B".charCodeAt(0);
    expect(codeOf(() => verifySignedData(bad2, { detachedContent: body }))).toBe("cms.badSignature");

    // Bob's certificate in place of Alice's: it no longer names the signer.
    const root = forge.asn1.fromDer(signed.toString("binary"));
    const sd = (root.value as forge.asn1.Asn1[])[1]!.value[0] as forge.asn1.Asn1;
    const certs = (sd.value as forge.asn1.Asn1[])[3]!;
    certs.value = [forge.asn1.fromDer(certificatesFromInput(bob.certPem)[0]!.toString("binary"))];
    const swapped = Buffer.from(forge.asn1.toDer(root).getBytes(), "binary");
    expect(parseSignedData(swapped).certificates[0]!.equals(certificatesFromInput(bob.certPem)[0]!)).toBe(true);
    expect(codeOf(() => verifySignedData(swapped, { detachedContent: body }))).toBe("cms.badSignature");
    // Bob's certificate claimed as the signer while Alice's key signed.
    const claimed = signData(body, { certPem: bob.certPem, keyPem: alice.keyPem }, { detached: true });
    expect(codeOf(() => verifySignedData(claimed, { detachedContent: body }))).toBe("cms.badSignature");
    // The signer is not in the message and not supplied.
    expect(codeOf(() => verifySignedData(degenerateCertificates([])))).toBe("cms.malformed");
  });

  it("says malformed for what is not a SignedData", () => {
    const good = opensslSign("sha256", true);
    expect(codeOf(() => verifySignedData(Buffer.from("garbage")))).toBe("cms.malformed");
    expect(codeOf(() => verifySignedData(Buffer.alloc(0)))).toBe("cms.malformed");
    expect(codeOf(() => verifySignedData(good.subarray(0, good.length - 7)))).toBe("cms.malformed");
    expect(codeOf(() => verifySignedData(certificatesFromInput(alice.certPem)[0]!))).toBe("cms.malformed");
    expect(codeOf(() => verifySignedData(Buffer.concat([good, Buffer.from([0])])))).toBe("cms.malformed");
    expect(codeOf(() => verifySignedData(envelopeData(body, alice.certPem)))).toBe("cms.malformed");
    // Deep nesting must not take the process down.
    const deep = Buffer.concat([Buffer.alloc(20_000).fill(Buffer.from([0x30, 0x80])), Buffer.alloc(40_000)]);
    expect(codeOf(() => verifySignedData(deep))).toBe("cms.malformed");
  });
});

describe("signData", () => {
  it("signs what OpenSSL verifies, with DER-sorted signed attributes and the signer certificate", () => {
    const extra = [
      { oid: "2.16.840.1.113733.1.9.2", value: attrValue.printable("19") },
      { oid: "2.16.840.1.113733.1.9.5", value: attrValue.octets(randomBytes(16)) },
    ];
    for (const detached of [false, true]) {
      const der = signData(body, alice, { detached, attributes: extra, certificates: [ca.certPem] });
      writeFileSync(path.join(dir, "ours.der"), der);
      const r = openssl([
        "cms", "-verify", "-binary", "-inform", "DER", "-in", "ours.der", "-CAfile", "ca.pem", "-purpose", "any",
        "-out", "out.bin", ...(detached ? ["-content", "body.bin"] : []),
      ]);
      expect(r.out).toContain("Verification successful");
      expect(readFileSync(path.join(dir, "out.bin")).equals(body)).toBe(true);
      const p = parseSignedData(der);
      expect(p.certificates).toHaveLength(2);
      expect(p.eContent === null).toBe(detached);
      const encoded = [...(p.signer!.signedAttrs!.value as forge.asn1.Asn1[])].map((a) => Buffer.from(forge.asn1.toDer(a).getBytes(), "binary"));
      expect([...encoded].sort(Buffer.compare)).toEqual(encoded);
    }
  });

  it("signs with SHA-512 and SHA-1 when asked", () => {
    expect(verifySignedData(signData(body, alice, { digest: "sha512" })).digest).toBe("sha512");
    expect(verifySignedData(signData(body, alice, { digest: "sha1" })).digest).toBe("sha1");
  });
});

describe("verifyMdmSignature", () => {
  it("returns the signer of a detached signature over the exact body", () => {
    const header = signData(body, alice, { detached: true }).toString("base64");
    expect(verifyMdmSignature(header, body)).toBe(alice.certPem);
    const opensslHeader = opensslSign("sha256", false).toString("base64");
    expect(describeCertificate(verifyMdmSignature(opensslHeader, body)).commonName).toBe("alice");
    expect(codeOf(() => verifyMdmSignature(header, Buffer.concat([body, Buffer.from(" ")])))).toBe("cms.badSignature");
    expect(codeOf(() => verifyMdmSignature(signData(body, alice).toString("base64"), body))).toBe("cms.malformed");
    expect(codeOf(() => verifyMdmSignature("", body))).toBe("cms.malformed");
    expect(codeOf(() => verifyMdmSignature("bm90IGNtcw==", body))).toBe("cms.malformed");
  });
});

describe("EnvelopedData", () => {
  it("round-trips every cipher and interoperates with OpenSSL both ways", () => {
    for (const cipher of Object.keys(CIPHERS) as CipherName[]) {
      const env = envelopeData(body, alice.certPem, cipher);
      const opened = openEnvelopedData(env, alice);
      expect(opened.content.equals(body)).toBe(true);
      expect(opened.cipherOid).toBe(CIPHERS[cipher].oid);
      writeFileSync(path.join(dir, "env.der"), env);
      const r = openssl(["cms", "-decrypt", "-binary", "-inform", "DER", "-in", "env.der", "-recip", "alice.pem", "-inkey", "alice.key", "-out", "dec.bin"]);
      expect(r.status, r.out).toBe(0);
      expect(readFileSync(path.join(dir, "dec.bin")).equals(body)).toBe(true);
    }
    for (const flag of ["-aes128", "-aes256", "-des3"]) {
      const r = openssl(["cms", "-encrypt", "-binary", flag, "-in", "body.bin", "-outform", "DER", "-out", "enc.der", "alice.pem"]);
      expect(r.status, r.out).toBe(0);
      expect(openEnvelopedData(readFileSync(path.join(dir, "enc.der")), alice).content.equals(body)).toBe(true);
    }
  });

  it("tells apart not-for-us, unsupported ciphers and garbage", () => {
    const env = envelopeData(body, alice.certPem);
    expect(codeOf(() => openEnvelopedData(env, bob))).toBe("cms.notForUs");
    // Right certificate, wrong key: the RSA padding check fails, which must look like any bad key
    // (a random content key, so usually a padding error, rarely garbage), never like success.
    for (let i = 0; i < 5; i++) {
      let outcome: string;
      try {
        outcome = openEnvelopedData(env, { certPem: alice.certPem, keyPem: bob.keyPem }).content.equals(body) ? "opened" : "garbage";
      } catch (e) {
        outcome = isUserError(e) ? e.code : String(e);
      }
      expect(["cms.notForUs", "garbage"]).toContain(outcome);
    }
    const aes = Buffer.from(forge.asn1.oidToDer(CIPHERS["aes-256-cbc"].oid).getBytes(), "binary");
    const rc2 = Buffer.from(forge.asn1.oidToDer("1.2.840.113549.3.2").getBytes(), "binary");
    const odd = Buffer.from(env);
    odd.set(rc2.subarray(0, aes.length), odd.indexOf(aes)); // same length: still well-formed
    expect(codeOf(() => openEnvelopedData(odd, alice))).toBe("cms.unsupportedAlgorithm");
    expect(codeOf(() => openEnvelopedData(Buffer.from("nope"), alice))).toBe("cms.malformed");
    expect(codeOf(() => openEnvelopedData(signData(body, alice), alice))).toBe("cms.malformed");
  });
});

describe("degenerateCertificates", () => {
  it("makes a certs-only PKCS#7 OpenSSL lists", () => {
    writeFileSync(path.join(dir, "deg.der"), degenerateCertificates(certificatesFromInput(alice.certPem + ca.certPem)));
    const r = openssl(["pkcs7", "-inform", "DER", "-in", "deg.der", "-print_certs", "-noout"]);
    expect(r.out).toMatch(/subject=CN ?= ?alice/);
    expect(r.out).toMatch(/subject=CN ?= ?Mamori CMS Test CA/);
    const p = parseSignedData(readFileSync(path.join(dir, "deg.der")));
    expect(p.signer).toBeNull();
    expect(p.certificates).toHaveLength(2);
  });
});
