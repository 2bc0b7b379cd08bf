import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";
import { isUserError } from "@/lib/errors";
import { type KnownPushCert, MDM_TOPIC_PREFIX, type PushCertContext, validatePushCertificate } from "@/lib/pki/push-certificate";
import { type PushRequest, generatePushRequest } from "@/lib/pki/push-csr";
import { type Issued, type TestCa, applePushSubject, createTestCa } from "@/tests/support/test-ca";

// The lifecycle of PROTOCOL.md section 7 with a test CA standing in for Apple:
// CSR -> certificate with the CSR's key and an Apple subject -> upload as new, then as renewal.

const DAY = 86_400_000;
const UUID = "9b2e6f10-4c7a-4e3b-b5d1-7f8a9c0d1e2f";
const TOPIC = `com.apple.mgmt.External.${UUID}`;
const now = new Date();

let ca: TestCa;
let first: PushRequest;
let renewal: PushRequest;
let firstCert: Issued;
let renewedCert: Issued;

/** What Apple does with the uploaded request: a certificate for the CSR's key. */
interface IssueAs {
  uuid?: string;
  notBefore?: Date;
  notAfter?: Date;
  subject?: forge.pki.CertificateField[];
}
function appleIssues(req: PushRequest, opts: IssueAs = {}) {
  const csr = forge.pki.certificationRequestFromPem(req.csrPem);
  return ca.issue({
    subject: opts.subject ?? applePushSubject(opts.uuid ?? UUID),
    publicKey: csr.publicKey as forge.pki.rsa.PublicKey,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter ?? new Date(now.getTime() + 365 * DAY),
  });
}

function known(cert: Issued, topic = TOPIC): KnownPushCert {
  return {
    topic,
    serial: cert.cert.serialNumber.toUpperCase(),
    notAfter: cert.cert.validity.notAfter,
  };
}

function ctx(over: Partial<PushCertContext> = {}): PushCertContext {
  return { pendingKeyPem: first.keyPem, active: null, existing: [], now, ...over };
}

function errorOf(fn: () => unknown): { code: string; params: Record<string, string | number> } {
  try {
    fn();
  } catch (e) {
    if (isUserError(e)) return { code: e.code, params: e.params };
    return { code: `not a UserError: ${String(e)}`, params: {} };
  }
  return { code: "no error", params: {} };
}
const codeOf = (fn: () => unknown) => errorOf(fn).code;

beforeAll(() => {
  ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
  first = generatePushRequest();
  renewal = generatePushRequest();
  firstCert = appleIssues(first);
  renewedCert = appleIssues(renewal, { notAfter: new Date(now.getTime() + 730 * DAY) });
});

describe("validatePushCertificate: accepted uploads", () => {
  it("accepts a first certificate", () => {
    const r = validatePushCertificate(Buffer.from(firstCert.certPem), ctx());
    expect(MDM_TOPIC_PREFIX).toBe("com.apple.mgmt.");
    expect(r.topic).toBe(TOPIC);
    expect(r.isRenewal).toBe(false);
    expect(r.info.serial).toBe(firstCert.cert.serialNumber.toUpperCase());
  });

  it("accepts a renewal with the same topic and a later expiry", () => {
    const r = validatePushCertificate(
      Buffer.from(renewedCert.certPem),
      ctx({ pendingKeyPem: renewal.keyPem, active: known(firstCert), existing: [known(firstCert)] }),
    );
    expect(r.isRenewal).toBe(true);
    expect(r.topic).toBe(TOPIC);
    expect(r.info.notAfter.getTime()).toBeGreaterThan(firstCert.cert.validity.notAfter.getTime());
  });

  it("accepts DER and PEM with a private key block before or after the certificate", () => {
    expect(validatePushCertificate(firstCert.certDer, ctx()).topic).toBe(TOPIC);
    const keyFirst = Buffer.from(`${first.keyPem}\n${firstCert.certPem}`);
    const keyAfter = Buffer.from(`${firstCert.certPem}\n${first.keyPem}`);
    expect(validatePushCertificate(keyFirst, ctx()).topic).toBe(TOPIC);
    expect(validatePushCertificate(keyAfter, ctx()).topic).toBe(TOPIC);
  });

  it("finds the push certificate in a PEM that also carries its issuer", () => {
    const bundle = Buffer.from(`${ca.certPem}${firstCert.certPem}`);
    expect(validatePushCertificate(bundle, ctx()).topic).toBe(TOPIC);
  });
});

describe("validatePushCertificate: refusals", () => {
  it("pushCert.notCertificate", () => {
    expect(codeOf(() => validatePushCertificate(Buffer.from("hello world"), ctx()))).toBe("pushCert.notCertificate");
    expect(codeOf(() => validatePushCertificate(Buffer.from(first.keyPem), ctx()))).toBe("pushCert.notCertificate");
    expect(codeOf(() => validatePushCertificate(Buffer.from([0x30, 0x82, 0x01]), ctx()))).toBe("pushCert.notCertificate");
  });

  it("pushCert.notPushCertificate", () => {
    const noUid = appleIssues(first, { subject: [{ name: "commonName", value: "APSP:whatever" }] });
    expect(codeOf(() => validatePushCertificate(noUid.certDer, ctx()))).toBe("pushCert.notPushCertificate");
    const otherUid = appleIssues(first, {
      subject: [{ type: "0.9.2342.19200300.100.1.1", value: "com.apple.gamecenter.mgmt" }, { name: "commonName", value: "x" }],
    });
    expect(codeOf(() => validatePushCertificate(otherUid.certDer, ctx()))).toBe("pushCert.notPushCertificate");
  });

  it("pushCert.noPendingRequest", () => {
    expect(codeOf(() => validatePushCertificate(firstCert.certDer, ctx({ pendingKeyPem: null })))).toBe("pushCert.noPendingRequest");
  });

  it("pushCert.keyMismatch", () => {
    // Made for the older request, uploaded while a newer one is pending.
    expect(codeOf(() => validatePushCertificate(firstCert.certDer, ctx({ pendingKeyPem: renewal.keyPem })))).toBe(
      "pushCert.keyMismatch",
    );
  });

  it("pushCert.expired, also exactly at notAfter", () => {
    const old = appleIssues(first, { notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() - DAY) });
    const e = errorOf(() => validatePushCertificate(old.certDer, ctx()));
    expect(e.code).toBe("pushCert.expired");
    expect(e.params.date).toBe(new Date(Math.floor(old.cert.validity.notAfter.getTime() / 1000) * 1000).toISOString());

    const at = new Date(Math.floor(firstCert.cert.validity.notAfter.getTime() / 1000) * 1000);
    expect(codeOf(() => validatePushCertificate(firstCert.certDer, ctx({ now: at })))).toBe("pushCert.expired");
  });

  it("pushCert.duplicate", () => {
    expect(codeOf(() => validatePushCertificate(firstCert.certDer, ctx({ existing: [known(firstCert)] })))).toBe(
      "pushCert.duplicate",
    );
    // Same file as the active certificate: a duplicate, not "not later".
    expect(codeOf(() => validatePushCertificate(firstCert.certDer, ctx({ active: known(firstCert) })))).toBe(
      "pushCert.duplicate",
    );
  });

  it("pushCert.topicChanged", () => {
    const other = appleIssues(renewal, { uuid: "11111111-2222-4333-8444-555555555555" });
    const e = errorOf(() =>
      validatePushCertificate(other.certDer, ctx({ pendingKeyPem: renewal.keyPem, active: known(firstCert) })),
    );
    expect(e.code).toBe("pushCert.topicChanged");
    expect(e.params).toMatchObject({ activeTopic: TOPIC, newTopic: "com.apple.mgmt.External.11111111-2222-4333-8444-555555555555" });
  });

  it("pushCert.notLater", () => {
    const shorter = appleIssues(renewal, { notAfter: new Date(now.getTime() + 100 * DAY) });
    expect(
      codeOf(() => validatePushCertificate(shorter.certDer, ctx({ pendingKeyPem: renewal.keyPem, active: known(firstCert) }))),
    ).toBe("pushCert.notLater");
  });

  it("checks in the documented order", () => {
    // Expired and for another key: the key is reported first.
    const old = appleIssues(first, { notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() - DAY) });
    expect(codeOf(() => validatePushCertificate(old.certDer, ctx({ pendingKeyPem: renewal.keyPem })))).toBe("pushCert.keyMismatch");
    // Not a push certificate and no pending request: the certificate kind comes first.
    const plain = appleIssues(first, { subject: [{ name: "commonName", value: "plain" }] });
    expect(codeOf(() => validatePushCertificate(plain.certDer, ctx({ pendingKeyPem: null })))).toBe("pushCert.notPushCertificate");
  });
});
