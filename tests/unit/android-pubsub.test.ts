import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeGoogleOidc, type FakeGoogleOidc, type Forgery } from "../support/fake-pubsub";
import { clearKeyCache, KeysUnavailable, parseEnvelope, PushAuthError, verifyPushToken, type PushExpectation } from "@/lib/android/pubsub";

// The push token verifier against a local JWKS with real RSA keys and real RS256 tokens
// (tests/support/fake-pubsub.ts): Google's token passes, every forgery is refused for its reason.

const AUD = "https://mdm.example.jp/api/android/pubsub";
const EMAIL = "pubsub-push@mamori-test.iam.gserviceaccount.com";
const expectation: PushExpectation = { audience: AUD, serviceAccountEmail: EMAIL };
let google: FakeGoogleOidc;

beforeAll(async () => {
  google = await startFakeGoogleOidc();
});
afterAll(() => google.close());
beforeEach(() => clearKeyCache());

const verify = (authorization: string | null, exp = expectation, now?: Date) => verifyPushToken(authorization, exp, { certsUrl: google.certsUrl, now });
const bearer = (f: Forgery = {}) => `Bearer ${google.token({ audience: AUD, serviceAccountEmail: EMAIL, ...f })}`;

async function refusal(p: Promise<unknown>): Promise<{ reason: string; status: number }> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(PushAuthError);
  return { reason: (e as PushAuthError).reason, status: (e as PushAuthError).status };
}

describe("verifyPushToken", () => {
  it("accepts Google's token and returns its claims; the keys are fetched once and cached", async () => {
    const claims = await verify(bearer());
    expect(claims).toMatchObject({ iss: "https://accounts.google.com", aud: AUD, email: EMAIL });
    await verify(bearer());
    expect(google.fetches).toBe(1);
  });

  it("accepts the other issuer spelling and the email in another case", async () => {
    await expect(verify(bearer({ iss: "accounts.google.com" }))).resolves.toMatchObject({ iss: "accounts.google.com" });
    await expect(verify(bearer(), { audience: AUD, serviceAccountEmail: EMAIL.toUpperCase() })).resolves.toMatchObject({ email: EMAIL });
  });

  it.each<[string, Forgery, string, number]>([
    ["a key Google does not publish", { wrongKey: true }, "badSignature", 401],
    ["an unknown kid", { unknownKid: true }, "unknownKey", 401],
    ["no kid", { noKid: true }, "unknownKey", 401],
    ["alg none", { algNone: true }, "algorithm", 401],
    ["HS256 with the public key as secret", { hs256: true }, "algorithm", 401],
    ["claims changed after signing", { tampered: true }, "badSignature", 401],
    ["an expired token", { expired: true }, "expired", 401],
    ["a token issued in the future", { future: true }, "notYetValid", 401],
    ["another issuer", { iss: "https://evil.example" }, "issuer", 401],
    ["another audience", { aud: "https://other.example/push" }, "audience", 403],
    ["another service account", { email: "someone@other-project.iam.gserviceaccount.com" }, "email", 403],
    ["an unverified email", { emailVerified: false }, "emailUnverified", 403],
  ])("refuses %s", async (_, forgery, reason, status) => {
    expect(await refusal(verify(bearer(forgery)))).toEqual({ reason, status });
  });

  it("refuses a missing or malformed Authorization header", async () => {
    expect((await refusal(verify(null))).reason).toBe("missingToken");
    expect((await refusal(verify("Basic abc"))).reason).toBe("missingToken");
    expect((await refusal(verify("Bearer a.b"))).reason).toBe("malformedToken");
    expect((await refusal(verify("Bearer %%%.eyJ9.sig"))).reason).toBe("malformedToken");
  });

  it("without a configured service account, any Google-verified email passes; the audience still counts", async () => {
    const open = { audience: AUD, serviceAccountEmail: null };
    await expect(verify(bearer({ email: "other@x.iam.gserviceaccount.com" }), open)).resolves.toMatchObject({ email: "other@x.iam.gserviceaccount.com" });
    expect((await refusal(verify(bearer({ aud: "x" }), open))).reason).toBe("audience");
  });

  it("tolerates a minute of clock difference, not more", async () => {
    const t = google.token({ audience: AUD, serviceAccountEmail: EMAIL });
    const iat = JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).iat as number;
    await expect(verify(`Bearer ${t}`, expectation, new Date((iat - 30) * 1000))).resolves.toBeTruthy();
    expect((await refusal(verify(`Bearer ${t}`, expectation, new Date((iat - 120) * 1000)))).reason).toBe("notYetValid");
    await expect(verify(`Bearer ${t}`, expectation, new Date((iat + 3600 + 30) * 1000))).resolves.toBeTruthy();
    expect((await refusal(verify(`Bearer ${t}`, expectation, new Date((iat + 3600 + 120) * 1000)))).reason).toBe("expired");
  });

  it("a rotated key is fetched when a token names it (at most once a minute)", async () => {
    await verify(bearer());
    google.rotate();
    const before = google.fetches;
    // Within a minute of the last fetch the new kid is unknown: no refetch storm from forged kids.
    expect((await refusal(verify(bearer()))).reason).toBe("unknownKey");
    expect(google.fetches).toBe(before);
    await expect(verify(bearer(), expectation, new Date(Date.now() + 61_000))).resolves.toBeTruthy();
    expect(google.fetches).toBe(before + 1);
  });

  it("Google's keys out of reach is not a refusal: KeysUnavailable", async () => {
    const e = await verifyPushToken(bearer(), expectation, { certsUrl: "http://127.0.0.1:9/oauth2/v3/certs" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KeysUnavailable);
  });
});

describe("parseEnvelope", () => {
  it("reads the push body Pub/Sub sends", () => {
    const env = parseEnvelope(Buffer.from(JSON.stringify(google.envelope({ notificationType: "ENROLLMENT", data: { name: "enterprises/LC1/devices/d1" }, messageId: "42" }))));
    expect(env).toMatchObject({ messageId: "42", attributes: { notificationType: "ENROLLMENT" }, subscription: "projects/mamori-test/subscriptions/android-push" });
    expect(JSON.parse(env!.data!.toString())).toEqual({ name: "enterprises/LC1/devices/d1" });
    expect(env!.publishTime).toBeInstanceOf(Date);
  });

  it("returns null for what is not a push body", () => {
    for (const body of ["", "{", "[]", "null", '{"message":null}', '{"message":{"data":"e30="}}', '{"message":{"messageId":"1","data":"%%%"}}', '{"message":{"messageId":"1","attributes":[]}}']) {
      expect(parseEnvelope(Buffer.from(body)), body).toBeNull();
    }
  });
});
