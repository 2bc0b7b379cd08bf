import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa } from "../support/test-ca";
import { signPushCsr } from "../support/push-fixtures";
import { smimeP12 } from "../support/user-p12";
import { prisma } from "@/lib/db/client";
import { open } from "@/lib/crypto";
import { resealAll } from "@/lib/crypto/rotate";
import { SEALED_COLUMNS, SEALED_SETTINGS } from "@/lib/crypto/sealed-columns";
import { hashPassword } from "@/lib/auth/password";
import { createEnrollment, redeemProfileToken, consumeChallenge } from "@/lib/enrollment/service";
import { deviceCa } from "@/lib/pki/device-ca";
import { issueCertificate } from "@/lib/pki/ca";
import { signData } from "@/lib/pki/cms";
import { buildPlist } from "@/lib/mdm/plist";
import { identifyDevice } from "@/lib/mdm/identity";
import { handleCheckin } from "@/lib/mdm/service";
import { enqueueCommand } from "@/lib/mdm/enqueue";
import { inviteUsers } from "@/lib/invitations/service";
import { openMail } from "@/lib/mail";
import { requestEmailChange } from "@/lib/account";
import { requestPasswordReset } from "@/lib/account/password-reset";
import { uploadCertificate } from "@/lib/user-certificates/service";
import { saveDirectoryConfig } from "@/lib/directory/config";
import { saveSmtpConfig } from "@/lib/mail/smtp";
import * as push from "@/lib/push-certificates/service";

// A full scenario through the real lib functions, then pg_dump of the whole database: no secret
// may be readable in it, in plain text, base64 or hex.

const db = useOwnDatabase();
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: "192.0.2.9", userAgent: "vitest" };
const TOPIC_UUID = randomUUID();
const TOPIC = `com.apple.mgmt.External.${TOPIC_UUID}`;
/** Every secret the scenario handled, by name. */
const secrets: Record<string, string | Buffer> = {};
/** The key the data is sealed under (the rotation tests move it). */
let dataKey = () => process.env.MAMORI_DATA_KEY!;

/** The forms a secret could take in a dump. */
function forms(v: string | Buffer): string[] {
  const b = typeof v === "string" ? Buffer.from(v, "utf8") : v;
  const out = [b.toString("base64").replace(/=+$/, ""), b.toString("hex")];
  if (typeof v === "string") out.push(v);
  return out.filter((s) => s.length >= 6);
}

/** A PEM private key's body, line by line (a dump of the PEM would show its lines). */
function pemLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
}

function dump(): string {
  return execFileSync("pg_dump", ["--no-owner", db.url], { maxBuffer: 512 * 1024 * 1024 }).toString("utf8");
}

async function checkin(body: Record<string, unknown>, id: { certPem: string; keyPem: string }) {
  const raw = Buffer.from(buildPlist(body as never));
  const headers = new Headers({ "mdm-signature": signData(raw, id, { detached: true }).toString("base64") });
  return handleCheckin(raw, await identifyDevice(headers, raw));
}

beforeAll(async () => {
  // Push certificate: a CSR whose key is sealed, then the certificate Apple would sign.
  const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
  await push.generateRequest(actor, ctx);
  await push.uploadPushCertificate({ file: Buffer.from(signPushCsr(ca, (await push.pendingCsr())!, { uuid: TOPIC_UUID, days: 300 }).certPem), appleId: "mdm@example.jp", notes: "" }, actor, ctx);
  const pushRow = await prisma().pushCertificate.findFirstOrThrow({ where: { status: "ACTIVE" } });
  secrets.pushKey = open(pushRow.keySealed!, "push-cert-key").toString("utf8");

  // A device enrolls: profile token, SCEP challenge, Authenticate, TokenUpdate with UnlockToken,
  // SetBootstrapToken.
  const e = await createEnrollment({}, actor, ctx);
  secrets.profileToken = e.profileToken;
  const { challenge } = await redeemProfileToken(e.profileToken);
  secrets.challenge = challenge;
  expect(await consumeChallenge(challenge, e.id)).toBe(e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const id = {
    certPem: issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id], ["O", "Mamori"]], days: 30 }),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  const caRow = await prisma().certificateAuthority.findFirstOrThrow();
  secrets.caKey = open(caRow.keySealed, "ca-key").toString("utf8");
  secrets.unlockToken = randomBytes(40);
  secrets.bootstrapToken = randomBytes(40);
  await checkin({ MessageType: "Authenticate", Topic: TOPIC, UDID: "SECRET-UDID", SerialNumber: "F2LSECRET", ProductName: "iPhone16,2", OSVersion: "18.1" }, id);
  await checkin({ MessageType: "TokenUpdate", Topic: TOPIC, UDID: "SECRET-UDID", Token: randomBytes(32), PushMagic: "PM-S", UnlockToken: secrets.unlockToken }, id);
  await checkin({ MessageType: "SetBootstrapToken", UDID: "SECRET-UDID", BootstrapToken: secrets.bootstrapToken, AwaitingConfiguration: false }, id);
  const device = await prisma().device.findUniqueOrThrow({ where: { udid: "SECRET-UDID" } });

  // Lock with a PIN.
  secrets.lockPin = "482913";
  await enqueueCommand(device.id, { requestType: "DeviceLock", command: { RequestType: "DeviceLock", PIN: secrets.lockPin, Message: "Call IT" } }, { actor, push: false });

  // An invitation with PIN (the mail carries the link and the PIN), then an email change.
  const hanako = await prisma().user.create({ data: { email: "hanako@example.jp", displayName: "Hanako Sato", role: "END_USER", passwordHash: await hashPassword("correct horse battery") } });
  await prisma().device.update({ where: { id: device.id }, data: { ownerId: hanako.id } });
  const taro = await prisma().user.create({ data: { email: "taro@example.jp", displayName: "Taro", role: "END_USER" } });
  await inviteUsers([taro.id], { pin: true, baseUrl: "https://mdm.example.jp" }, actor, ctx);
  const mail = openMail(await prisma().mailMessage.findFirstOrThrow({ where: { to: { has: "taro@example.jp" } } }));
  secrets.inviteToken = /\/go\?invite=([\w-]+)/.exec(mail.text)![1]!;
  secrets.invitePin = /PIN[:：]\s*(\d{6})/.exec(mail.text)![1]!;
  secrets.emailChangeToken = (await requestEmailChange(hanako, "hanako.new@example.jp", "https://mdm.example.jp/email-change", ctx)).token;
  const reset = await requestPasswordReset("hanako@example.jp", "https://mdm.example.jp", ctx);
  secrets.passwordResetToken = reset.outcome === "sent" ? reset.token! : "";

  // The user's S/MIME identity with its password (installed on the device as a command too).
  secrets.p12Password = "p12-Secret-Passw0rd";
  const p12 = smimeP12(createTestCa("Example Corp S/MIME CA (test)"), { password: secrets.p12Password });
  await uploadCertificate(hanako, { purpose: "SIGNING", name: "", file: p12, password: secrets.p12Password }, ctx);
  const certRow = await prisma().userCertificate.findFirstOrThrow();
  secrets.p12 = open(certRow.pkcs12Sealed, "user-certificate-pkcs12");

  // LDAP settings with a bind password.
  secrets.bindPassword = "ldap-Bind-Secret-77";
  await saveDirectoryConfig({
    url: "ldap://127.0.0.1:389", startTls: false, caPem: "", bindDn: "cn=admin,dc=example,dc=jp", bindPassword: secrets.bindPassword,
    baseDn: "dc=example,dc=jp", filter: "(objectClass=inetOrgPerson)", nameAttribute: "cn", emailAttribute: "mail", usernameAttribute: "uid",
    groupAttribute: "", syncEnabled: false, syncIntervalMinutes: 60,
  }, actor, ctx);
  secrets.smtpPassword = "relay-Passw0rd-for-mamori";
  await saveSmtpConfig({ host: "smtp.example.jp", port: 587, security: "starttls", username: "mamori", password: secrets.smtpPassword, clearPassword: false, caPem: "" }, actor, ctx);
}, 120_000);

describe("secrets at rest", () => {
  it("pg_dump of the whole database shows none of them", () => {
    const text = dump();
    expect(text).toContain("SECRET-UDID"); // the dump is real and holds the scenario
    const found: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      const candidates = typeof value === "string" && value.includes("PRIVATE KEY") ? pemLines(value) : forms(value);
      expect(candidates.length).toBeGreaterThan(0);
      for (const c of candidates) if (text.includes(c)) found.push(name);
    }
    expect([...new Set(found)]).toEqual([]);
  });

  it("lists every sealed column of the schema for rotation", async () => {
    const rows = await prisma().$queryRawUnsafe<{ t: string; c: string }[]>(`
      SELECT table_name AS t, column_name AS c FROM information_schema.columns
      WHERE table_schema = 'public' AND (column_name LIKE '%\\_sealed' OR column_name LIKE 'sealed\\_%')`);
    expect(rows.length).toBeGreaterThan(10);
    const listed = new Set(SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`));
    expect(rows.map((r) => `${r.t}.${r.c}`).filter((k) => !listed.has(k))).toEqual([]);
  });

  it("rotate-key re-seals everything: the new key opens it all, the old one nothing", async () => {
    const oldKey = Buffer.from(dataKey(), "base64");
    const newKey = randomBytes(32);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const before = await sealedValues(client);
      expect(before.length).toBeGreaterThanOrEqual(8);
      const count = await resealAll(client, [oldKey], newKey);
      expect(count).toBe(before.length);
      const after = await sealedValues(client);
      expect(after.map((v) => v.where)).toEqual(before.map((v) => v.where));
      for (const [i, v] of after.entries()) {
        expect(open(v.value, v.context, [newKey])).toEqual(open(before[i]!.value, v.context, [oldKey]));
        expect(() => open(v.value, v.context, [oldKey])).toThrow();
      }
      // Run again after an interruption that had committed: values open with either key.
      expect(await resealAll(client, [oldKey], newKey)).toBe(before.length);
      dataKey = () => newKey.toString("base64");
    } finally {
      await client.end();
    }
  });

  it("npm run rotate-key records the new key in secrets.json before re-sealing, and promotes it after", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mamori-rotate-"));
    const current = dataKey();
    writeFileSync(path.join(dir, "secrets.json"), JSON.stringify({ authSecret: "a", dataKey: current }));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const before = await sealedValues(client);
      const env = { ...process.env, DATABASE_URL: db.url, MAMORI_DATA_DIR: dir, MAMORI_DATA_KEY: "" };
      const out = execFileSync(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), "scripts/rotate-key.ts"], { env }).toString();
      expect(out).toContain(`Re-sealed ${before.length} values.`);
      const stored = JSON.parse(readFileSync(path.join(dir, "secrets.json"), "utf8"));
      expect(stored).toEqual({ authSecret: "a", dataKey: expect.any(String) });
      const next = Buffer.from(stored.dataKey, "base64");
      expect(next.length).toBe(32);
      for (const v of await sealedValues(client)) expect(() => open(v.value, v.context, [next])).not.toThrow();
    } finally {
      await client.end();
    }
  });
});

async function sealedValues(client: pg.Client) {
  const out: { where: string; value: string; context: string }[] = [];
  for (const c of SEALED_COLUMNS) {
    const { rows } = await client.query<{ id: string; v: string }>(`SELECT id::text AS id, "${c.column}" AS v FROM "${c.table}" WHERE "${c.column}" IS NOT NULL ORDER BY id`);
    for (const r of rows) out.push({ where: `${c.table}.${c.column}#${r.id}`, value: r.v, context: c.context });
  }
  for (const s of SEALED_SETTINGS) {
    const { rows } = await client.query<{ v: string | null }>(`SELECT value->>$2 AS v FROM settings WHERE key = $1`, [s.key, s.field]);
    if (rows[0]?.v) out.push({ where: `settings.${s.key}.${s.field}`, value: rows[0].v, context: s.context });
  }
  return out;
}
