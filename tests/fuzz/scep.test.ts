import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { isUserError } from "@/lib/errors";
import { createEnrollment, redeemProfileToken } from "@/lib/enrollment/service";
import { scepPkiOperation } from "@/lib/enrollment/scep";
import { deviceCa } from "@/lib/pki/device-ca";
import { type CaMaterial, createCsr, createSelfSigned, issueCertificate, newRsaKeyPem } from "@/lib/pki/ca";
import { type CipherName, attrValue, envelopeData, signData } from "@/lib/pki/cms";
import { MESSAGE_TYPES, SCEP_OID, pkiMessageFromQuery } from "@/lib/pki/scep";
import { certificatesFromInput } from "@/lib/pki/x509";
import { caseCount, fuzz, timeoutFor, type Rng } from "./support/fuzz";
import { mutateBytes, mutateDer, mutateText, weirdString } from "./support/mutate";
import { StateGuard } from "./support/state";
import { quietRefusals } from "./support/quiet";

useOwnDatabase();
quietRefusals();

// SCEP PKIOperations, generated from a valid request and mutated at each layer (the CSR, the
// EnvelopedData around it, the SignedData around that, its SCEP attributes, the signer) and
// re-wrapped correctly above the mutated layer, so the server is reached past its signature
// check. Driven through what app/api/scep/route.ts calls (pkiMessageFromQuery for GET, then
// scepPkiOperation): the answer must be a CertRep or a scep.* UserError (400), never another
// error (500); a refused request must spend no challenge and store nothing.

type Signer = { certPem: string; keyPem: string };
let ca: CaMaterial;
let caDer: Buffer;
let keys: string[];
let ecKey: string;
let selfSigned: Signer[];
let identity: Signer; // a device identity from our CA, for RenewalReq
let expiredIdentity: Signer;
let enrollment: { id: string; challenge: string };
const guard = new StateGuard();

async function freshEnrollment() {
  const e = await createEnrollment({}, { id: null, label: "fuzz" }, { ip: null, userAgent: null });
  const { challenge } = await redeemProfileToken(e.profileToken);
  enrollment = { id: e.id, challenge };
}

function identityFor(cn: string, days: number): Signer {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    certPem: issueCertificate(ca, { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", cn]], days }),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

const der = (pem: string) => certificatesFromInput(pem)[0] ?? Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ""), "base64");

beforeAll(async () => {
  ca = await deviceCa();
  caDer = certificatesFromInput(ca.certPem)[0]!;
  keys = [newRsaKeyPem(), newRsaKeyPem()];
  ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  selfSigned = [...keys, ecKey].map((keyPem) => ({ keyPem, certPem: createSelfSigned({ keyPem, subject: [["CN", "SCEP SIGNER"]] }) }));
  await freshEnrollment();
  identity = identityFor(enrollment.id, 30);
  expiredIdentity = identityFor(enrollment.id, -1);
  await guard.start();
}, 120_000);

/** One PKIOperation: a valid request with one layer (or several) mutated, the layers above made right again. */
function fuzzMessage(rng: Rng): { message: Buffer; viaGet: string | null } {
  const keyPem = rng.pick(keys);
  const renewal = rng.chance(0.15);
  const cn = rng.pick([enrollment.id, enrollment.id, randomUUID(), weirdString(rng).slice(0, 64) || "x", enrollment.id.toUpperCase()]);
  const challenge = rng.pick([enrollment.challenge, enrollment.challenge, undefined, weirdString(rng).slice(0, 200), "wrong"]);
  let csr = der(createCsr({ keyPem: rng.chance(0.05) ? ecKey : keyPem, subject: [["CN", cn]], challenge }));
  const layer = rng.int(8);
  if (layer === 0) csr = mutateDer(rng, csr);
  let envelope = envelopeData(csr, rng.chance(0.05) ? der(rng.pick(selfSigned.slice(0, 2)).certPem) : caDer, rng.pick(["aes-128-cbc", "aes-256-cbc", "des-ede3-cbc"] as CipherName[]));
  if (layer === 1) envelope = mutateDer(rng, envelope);
  const signer: Signer = renewal ? rng.pick([identity, identity, expiredIdentity, selfSigned[0]!]) : rng.chance(0.9) ? selfSigned[0]! : rng.pick(selfSigned);
  const attrs: Record<string, ReturnType<typeof attrValue.printable> | null> = {
    [SCEP_OID.transactionID]: attrValue.printable(randomBytes(8).toString("hex")),
    [SCEP_OID.messageType]: attrValue.printable(String(renewal ? MESSAGE_TYPES.RenewalReq : MESSAGE_TYPES.PKCSReq)),
    [SCEP_OID.senderNonce]: attrValue.octets(randomBytes(16)),
  };
  if (layer === 2) {
    const oid = rng.pick(Object.keys(attrs));
    attrs[oid] = rng.pick([
      () => null,
      () => attrValue.printable(weirdString(rng).replace(/[^ -~]/g, "") || "0"),
      () => attrValue.octets(rng.bytes(rng.pick([0, 1, 16, 5000]))),
      () => attrValue.printable(rng.pick(["3", "17", "19", "20", "21", "22", "-1", "019", "19 ", "99999999999999999999"])),
    ])();
  }
  let message = signData(envelope, signer, {
    attributes: Object.entries(attrs).filter(([, v]) => v !== null).map(([oid, value]) => ({ oid, value: value! })),
    digest: rng.pick(["sha256", "sha256", "sha512", "sha1", "sha384"] as const),
  });
  if (layer === 3 || layer === 4) message = mutateDer(rng, message);
  if (layer === 5) message = mutateBytes(rng, message);
  if (layer === 6 && rng.chance(0.3)) message = rng.bytes(rng.range(0, 300));
  const viaGet = rng.chance(0.25) ? (rng.chance(0.5) ? message.toString("base64").replace(/\+/g, " ") : mutateText(rng, message.toString("base64"))) : null;
  return { message, viaGet };
}

describe("fuzzed SCEP PKIOperations", () => {
  it("every message gets a CertRep or a scep.* refusal, and a refused one spends and stores nothing", async () => {
    const r = await fuzz("scep", caseCount(300), async (rng, i) => {
      if (i % 40 === 0) {
        await freshEnrollment();
        await guard.rebase();
      }
      const { message, viaGet } = fuzzMessage(rng);
      let answer: { kind: string; refused: boolean };
      try {
        const body = viaGet === null ? message : pkiMessageFromQuery(viaGet);
        const res = await scepPkiOperation(body, { ip: "192.0.2.7" });
        answer = { kind: `200 ${res.status}${res.failInfo ? ` ${res.failInfo}` : ""}`, refused: res.status !== "SUCCESS" };
        if (res.status === "SUCCESS") await freshEnrollment(); // the challenge is spent: take another
      } catch (e) {
        if (!isUserError(e)) return { kind: "500", ok: false, why: `not a UserError: ${e instanceof Error ? e.stack?.split("\n").slice(0, 4).join("\n") : String(e)}` };
        answer = { kind: `400 ${e.code}`, refused: true };
      }
      const stored = await guard.check(answer.refused);
      if (!answer.refused) await guard.rebase();
      return { kind: answer.kind, ok: !stored, why: stored ?? undefined };
    });
    expect(r.failures, r.failures.join("\n\n")).toEqual([]);
    // Deep enough: some issued, some refused by the server's own decisions, some malformed.
    const kinds = [...r.answers.keys()];
    expect(kinds).toContain("200 SUCCESS");
    expect(kinds).toContain("200 FAILURE badRequest");
    expect(kinds).toContain("400 scep.malformed");
  }, timeoutFor(300, 60));
});
