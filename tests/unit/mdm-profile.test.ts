import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as plist from "plist";
import { describe, expect, it } from "vitest";
import { type PlistDict, parsePlist } from "@/lib/mdm/plist";
import { type EnrollmentProfileOptions, buildEnrollmentProfile, buildPkcs12Profile, buildWebClipProfile } from "@/lib/mdm/profile";
import { toPem } from "@/lib/pki/x509";
import { type AppleOS, COMMON_PAYLOAD_KEYS, asJson, checkDict, hasPython, loadSchema, readWithPython, schemasIn } from "@/tests/support/apple-schema";
import { refusal } from "@/tests/support/refusal";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/mdm");
const certs = parsePlist(readFileSync(path.join(FIXTURES, "result-certificatelist-iphone.plist"))).CertificateList as PlistDict[];
const CA_DER = certs[0]!.Data as Buffer;
const CA_PEM = toPem(CA_DER);
const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const TOPIC = "com.apple.mgmt.External.3f1c9a0e-5b2d-4e8f-a6c7-9d0e1f2a3b4c";

function options(over: { scep?: Partial<EnrollmentProfileOptions["scep"]>; mdm?: Partial<EnrollmentProfileOptions["mdm"]>; rootCaPems?: string[] } = {}): EnrollmentProfileOptions {
  return {
    identifier: "com.example.mamori.enroll",
    displayName: "Example Corp MDM",
    organization: "Example Corp",
    description: "この端末を Example Corp のデバイス管理に登録します。",
    scep: {
      url: "https://mdm.example.co.jp/scep",
      challenge: "b3f9c2e1a7d84c5e9f0a1b2c3d4e5f60",
      subject: [["O", "Example Corp"], ["CN", "Mamori enrollment 7f3a"]],
      keysize: 2048,
      caFingerprint: createHash("sha1").update(CA_DER).digest(),
      ...over.scep,
    },
    mdm: {
      serverUrl: "https://mdm.example.co.jp/mdm/connect",
      checkInUrl: "https://mdm.example.co.jp/mdm/checkin",
      topic: TOPIC,
      accessRights: 8191,
      signMessage: true,
      checkOutWhenRemoved: true,
      ...over.mdm,
    },
    rootCaPems: over.rootCaPems ?? [CA_PEM],
  };
}


const payloads = (p: PlistDict) => p.PayloadContent as PlistDict[];
const byType = (p: PlistDict, type: string) => payloads(p).filter((x) => x.PayloadType === type);

describe("buildEnrollmentProfile", () => {
  it("builds the Configuration with root, SCEP and MDM payloads tied together", () => {
    const { profile, identityPayloadUuid } = buildEnrollmentProfile(options());
    const top = profile as PlistDict;
    expect(top).toMatchObject({
      PayloadType: "Configuration",
      PayloadVersion: 1,
      PayloadIdentifier: "com.example.mamori.enroll",
      PayloadDisplayName: "Example Corp MDM",
      PayloadOrganization: "Example Corp",
      PayloadRemovalDisallowed: false,
    });
    expect(payloads(top).map((p) => p.PayloadType)).toEqual(["com.apple.security.root", "com.apple.security.scep", "com.apple.mdm"]);

    const [scep] = byType(top, "com.apple.security.scep");
    const [mdm] = byType(top, "com.apple.mdm");
    const [root] = byType(top, "com.apple.security.root");
    expect(scep!.PayloadUUID).toBe(identityPayloadUuid);
    expect(mdm!.IdentityCertificateUUID).toBe(identityPayloadUuid);
    expect(mdm).toMatchObject({
      Topic: TOPIC,
      ServerURL: "https://mdm.example.co.jp/mdm/connect",
      CheckInURL: "https://mdm.example.co.jp/mdm/checkin",
      AccessRights: 8191,
      SignMessage: true,
      CheckOutWhenRemoved: true,
      UseDevelopmentAPNS: false,
      ServerCapabilities: ["com.apple.mdm.per-user-connections", "com.apple.mdm.bootstraptoken"],
    });
    expect(scep!.PayloadContent).toMatchObject({
      URL: "https://mdm.example.co.jp/scep",
      Challenge: "b3f9c2e1a7d84c5e9f0a1b2c3d4e5f60",
      Keysize: 2048,
      "Key Type": "RSA",
      Subject: [[["O", "Example Corp"]], [["CN", "Mamori enrollment 7f3a"]]],
    });
    expect(root).toMatchObject({ PayloadDisplayName: "Mamori Device CA", PayloadContent: CA_DER });
  });

  it("uses fresh, distinct, upper-case PayloadUUIDs on every build", () => {
    const a = buildEnrollmentProfile(options()).profile as PlistDict;
    const b = buildEnrollmentProfile(options()).profile as PlistDict;
    const uuids = (p: PlistDict) => [p.PayloadUUID, ...payloads(p).map((x) => x.PayloadUUID)] as string[];
    for (const u of [...uuids(a), ...uuids(b)]) expect(u).toMatch(UUID);
    expect(new Set([...uuids(a), ...uuids(b)]).size).toBe(8);
    // Identifiers stay put: the device replaces a profile with the same PayloadIdentifier.
    expect(payloads(a).map((p) => p.PayloadIdentifier)).toEqual(payloads(b).map((p) => p.PayloadIdentifier));
  });

  it("writes XML that parsePlist, the plist package and Python's plistlib read back identically", () => {
    const { profile, xml } = buildEnrollmentProfile(options());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const ours = parsePlist(Buffer.from(xml));
    expect(asJson(ours)).toEqual(asJson(profile));
    expect(asJson(plist.parse(xml))).toEqual(asJson(profile));
    if (hasPython) expect(readWithPython(xml)).toEqual(asJson(profile));
  });

  it("uses only keys Apple defines for each payload, with the right types, on iOS and macOS", () => {
    const payloadSchemas = schemasIn("profiles");
    const topLevel = loadSchema("profiles/TopLevel.yaml");
    const { profile } = buildEnrollmentProfile(options());
    for (const os of ["iOS", "macOS"] as AppleOS[]) {
      expect(checkDict(profile, topLevel.payloadkeys!, { os, requireKeys: true }), `top level on ${os}`).toEqual([]);
      for (const p of payloads(profile as PlistDict)) {
        const schema = payloadSchemas.get(p.PayloadType as string);
        expect(schema, String(p.PayloadType)).toBeDefined();
        const keys = [...COMMON_PAYLOAD_KEYS, ...schema!.payloadkeys!];
        expect(checkDict(p, keys, { os, requireKeys: true }), `${String(p.PayloadType)} on ${os}`).toEqual([]);
      }
    }
  });

  it("leaves out optional parts that are not given", () => {
    const { profile } = buildEnrollmentProfile({
      ...options({ rootCaPems: [] }),
      description: undefined,
      scep: { url: "http://scep.example.co.jp/scep", challenge: "c", subject: [["CN", "x"]] },
      mdm: { serverUrl: "https://mdm.example.co.jp/mdm", topic: TOPIC },
    });
    const top = profile as PlistDict;
    expect(top.PayloadDescription).toBeUndefined();
    expect(payloads(top).map((p) => p.PayloadType)).toEqual(["com.apple.security.scep", "com.apple.mdm"]);
    const [mdm] = byType(top, "com.apple.mdm");
    expect(mdm!.CheckInURL).toBeUndefined();
    // Defaults from the brief: all rights, signed messages, CheckOut on removal, 2048-bit keys.
    expect(mdm).toMatchObject({ AccessRights: 8191, SignMessage: true, CheckOutWhenRemoved: true });
    expect(byType(top, "com.apple.security.scep")[0]!.PayloadContent).toMatchObject({ Keysize: 2048, URL: "http://scep.example.co.jp/scep" });
    expect((byType(top, "com.apple.security.scep")[0]!.PayloadContent as PlistDict).CAFingerprint).toBeUndefined();
  });

  it("includes every certificate of a multi-certificate PEM", () => {
    const { profile } = buildEnrollmentProfile(options({ rootCaPems: [CA_PEM + toPem(certs[1]!.Data as Buffer)] }));
    expect(byType(profile as PlistDict, "com.apple.security.root").map((p) => p.PayloadIdentifier)).toEqual([
      "com.example.mamori.enroll.root.1",
      "com.example.mamori.enroll.root.2",
    ]);
  });

  it("refuses settings Apple would reject", () => {
    expect(refusal(() => buildEnrollmentProfile(options({ mdm: { serverUrl: "http://mdm.example.co.jp/mdm" } })))).toEqual({
      code: "mdm.urlNotHttps",
      params: { field: "mdm.serverUrl" },
    });
    expect(refusal(() => buildEnrollmentProfile(options({ mdm: { checkInUrl: "ftp://x/y" } }))).params).toEqual({ field: "mdm.checkInUrl" });
    expect(refusal(() => buildEnrollmentProfile(options({ scep: { url: "ftp://scep" } }))).code).toBe("mdm.urlNotHttps");
    expect(refusal(() => buildEnrollmentProfile(options({ mdm: { serverUrl: "not a url" } }))).code).toBe("mdm.urlInvalid");
    expect(refusal(() => buildEnrollmentProfile(options({ mdm: { topic: "com.example.push" } }))).code).toBe("mdm.topicInvalid");
    for (const rights of [0, 2, 128, 8192, 1.5]) {
      expect(refusal(() => buildEnrollmentProfile(options({ mdm: { accessRights: rights } }))).code, String(rights)).toBe("mdm.accessRightsInvalid");
    }
    expect(refusal(() => buildEnrollmentProfile(options({ mdm: { accessRights: 3 | 64 | 128 } }))).code).toBe("no error");
    const sha256 = createHash("sha256").update(CA_DER).digest();
    expect(refusal(() => buildEnrollmentProfile(options({ scep: { caFingerprint: sha256 } }))).code).toBe("mdm.caFingerprintInvalid");
    expect(refusal(() => buildEnrollmentProfile(options({ scep: { caFingerprint: "zz:zz" } }))).code).toBe("mdm.caFingerprintInvalid");
    const hex = createHash("sha1").update(CA_DER).digest("hex").toUpperCase().match(/../g)!.join(":");
    expect(refusal(() => buildEnrollmentProfile(options({ scep: { caFingerprint: hex } }))).code).toBe("no error");
    expect(refusal(() => buildEnrollmentProfile(options({ rootCaPems: ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] }))).code).toBe(
      "mdm.rootCertificateInvalid",
    );
    expect(refusal(() => buildEnrollmentProfile(options({ rootCaPems: ["no pem here"] }))).code).toBe("mdm.rootCertificateInvalid");
    expect(() => buildEnrollmentProfile({ ...options(), identifier: "not reverse dns" })).toThrow(TypeError);
  });
});

describe("buildPkcs12Profile", () => {
  const p12 = Buffer.from("3082 0a1b 0201 0330 820a".replace(/ /g, ""), "hex"); // bytes are carried, not parsed

  it("carries the PKCS#12 and its password in a com.apple.security.pkcs12 payload", () => {
    const { profile, xml, certificatePayloadUuid } = buildPkcs12Profile({
      identifier: "com.example.mamori.user-cert",
      displayName: "社員証明書",
      organization: "Example Corp",
      pkcs12: p12,
      password: "s3cret-パス",
    });
    const [payload] = payloads(profile as PlistDict);
    expect(payload).toMatchObject({
      PayloadType: "com.apple.security.pkcs12",
      PayloadUUID: certificatePayloadUuid,
      PayloadContent: p12,
      Password: "s3cret-パス",
      PayloadCertificateFileName: "identity.p12",
    });
    expect(asJson(parsePlist(Buffer.from(xml)))).toEqual(asJson(profile));
    if (hasPython) expect(readWithPython(xml)).toEqual(asJson(profile));

    const schema = schemasIn("profiles").get("com.apple.security.pkcs12")!;
    for (const os of ["iOS", "macOS"] as AppleOS[]) {
      expect(checkDict(payload!, [...COMMON_PAYLOAD_KEYS, ...schema.payloadkeys!], { os, requireKeys: true })).toEqual([]);
      expect(checkDict(profile, loadSchema("profiles/TopLevel.yaml").payloadkeys!, { os, requireKeys: true })).toEqual([]);
    }
  });

  it("reuses a given payload UUID so other payloads can point at the certificate", () => {
    const uuid = "0C2E4A6B-8D1F-4A3C-8E5A-1D3F5A7C9E1B";
    expect(buildPkcs12Profile({ identifier: "com.example.c", displayName: "c", organization: "o", pkcs12: p12, payloadUuid: uuid }).certificatePayloadUuid).toBe(uuid);
    expect(refusal(() => buildPkcs12Profile({ identifier: "com.example.c", displayName: "c", organization: "o", pkcs12: Buffer.alloc(0) })).code).toBe("pkcs12.notPkcs12");
  });
});

describe("buildWebClipProfile", () => {
  const icon = readFileSync(path.resolve(import.meta.dirname, "../../public/apple-touch-icon.png"));

  it("puts a page on the home screen: a com.apple.webClip.managed payload that matches Apple's schema on iOS", () => {
    const { profile, xml } = buildWebClipProfile({ identifier: "jp.mamori.portal.webclip", displayName: "マイデバイス", organization: "Example Corp", label: "マイデバイス", url: "https://mdm.example.jp/my", icon });
    const [payload] = payloads(profile as PlistDict);
    expect(payload).toMatchObject({ PayloadType: "com.apple.webClip.managed", PayloadIdentifier: "jp.mamori.portal.webclip.webclip", URL: "https://mdm.example.jp/my", Label: "マイデバイス", Icon: icon, IsRemovable: true, FullScreen: false });
    expect((profile as PlistDict).PayloadIdentifier).toBe("jp.mamori.portal.webclip");
    expect(asJson(parsePlist(Buffer.from(xml)))).toEqual(asJson(profile));
    if (hasPython) expect(readWithPython(xml)).toEqual(asJson(profile));
    const schema = schemasIn("profiles").get("com.apple.webClip.managed")!;
    expect(checkDict(payload!, [...COMMON_PAYLOAD_KEYS, ...schema.payloadkeys!], { os: "iOS", requireKeys: true })).toEqual([]);
    expect(checkDict(profile, loadSchema("profiles/TopLevel.yaml").payloadkeys!, { os: "iOS", requireKeys: true })).toEqual([]);
  });

  it("keeps its identifiers from one build to the next, so installing again replaces the icon", () => {
    const o = { identifier: "jp.mamori.portal.webclip", displayName: "d", organization: "o", url: "https://mdm.example.jp/my" };
    const [a, b] = [buildWebClipProfile({ ...o, label: "Mamori" }).profile as PlistDict, buildWebClipProfile({ ...o, label: "マイデバイス", url: "https://mdm2.example.jp/my" }).profile as PlistDict];
    expect(b.PayloadIdentifier).toBe(a.PayloadIdentifier);
    expect(payloads(b)[0]!.PayloadIdentifier).toBe(payloads(a)[0]!.PayloadIdentifier);
  });

  it("refuses an empty label and an address that is not a URL", () => {
    const base = { identifier: "jp.mamori.portal.webclip", displayName: "d", organization: "o", url: "https://mdm.example.jp/my" };
    expect(refusal(() => buildWebClipProfile({ ...base, label: "  " })).code).toBe("webClip.labelRequired");
    expect(refusal(() => buildWebClipProfile({ ...base, label: "x", url: "mdm.example.jp/my" })).code).toBe("mdm.urlInvalid");
  });
});
