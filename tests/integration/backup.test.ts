import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useOwnDatabase } from "../support/own-database";
import { createTestCa } from "../support/test-ca";
import { signPushCsr } from "../support/push-fixtures";
import { smimeP12 } from "../support/user-p12";
import { disconnect, prisma } from "@/lib/db/client";
import { open, seal } from "@/lib/crypto";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { createEnrollment, redeemProfileToken, consumeChallenge } from "@/lib/enrollment/service";
import { deviceCa } from "@/lib/pki/device-ca";
import { issueCertificate } from "@/lib/pki/ca";
import { signData } from "@/lib/pki/cms";
import { buildPlist } from "@/lib/mdm/plist";
import { identifyDevice } from "@/lib/mdm/identity";
import { handleCheckin, handleConnect } from "@/lib/mdm/service";
import { uploadCertificate } from "@/lib/user-certificates/service";
import { openIdentity } from "@/lib/user-certificates/identity";
import { BackupError, openBackup } from "@/lib/backup";
import { startEmbedded } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import * as push from "@/lib/push-certificates/service";

// npm run backup / npm run restore, run as an admin would, round-tripping real data.

const source = useOwnDatabase();
const actor = { id: null, label: "admin@example.jp" };
const ctx = { ip: null, userAgent: null };
const TOPIC_UUID = randomUUID();
const TOPIC = `com.apple.mgmt.External.${TOPIC_UUID}`;
const work = mkdtempSync(path.join(tmpdir(), "mamori-backup-test-"));
const created: string[] = [];
let identity: { certPem: string; keyPem: string };

function cli(args: string[], env: Record<string, string | undefined>) {
  const { DATABASE_URL: _, MAMORI_DATA_KEY: __, ...base } = process.env;
  const r = spawnSync(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), "scripts/backup.ts", ...args], {
    env: { ...base, ...env } as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function emptyDatabase(): Promise<string> {
  const server = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const name = `mamori_restore_${randomBytes(5).toString("hex")}`;
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  created.push(name);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

function signed(body: Record<string, unknown>) {
  const raw = Buffer.from(buildPlist(body as never));
  return { raw, headers: new Headers({ "mdm-signature": signData(raw, identity, { detached: true }).toString("base64") }) };
}

beforeAll(async () => {
  await prisma().user.create({ data: { email: "hanako@example.jp", displayName: "Hanako Sato", role: "END_USER", passwordHash: await hashPassword("correct horse battery") } });
  const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
  await push.generateRequest(actor, ctx);
  await push.uploadPushCertificate({ file: Buffer.from(signPushCsr(ca, (await push.pendingCsr())!, { uuid: TOPIC_UUID, days: 300 }).certPem), appleId: "mdm@example.jp", notes: "" }, actor, ctx);

  const e = await createEnrollment({}, actor, ctx);
  const { challenge } = await redeemProfileToken(e.profileToken);
  await consumeChallenge(challenge, e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  identity = {
    certPem: issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id], ["O", "Mamori"]], days: 30 }),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  for (const body of [
    { MessageType: "Authenticate", Topic: TOPIC, UDID: "BACKUP-UDID", SerialNumber: "F2LBACKUP", ProductName: "iPhone16,2", OSVersion: "18.1" },
    { MessageType: "TokenUpdate", Topic: TOPIC, UDID: "BACKUP-UDID", Token: randomBytes(32), PushMagic: "PM-B", UnlockToken: randomBytes(20) },
  ]) {
    const { raw, headers } = signed(body);
    await handleCheckin(raw, await identifyDevice(headers, raw));
  }
  const hanako = await prisma().user.findUniqueOrThrow({ where: { email: "hanako@example.jp" } });
  await prisma().device.update({ where: { udid: "BACKUP-UDID" }, data: { ownerId: hanako.id } });
  await uploadCertificate(hanako, { purpose: "SIGNING", name: "", file: smimeP12(createTestCa("Example S/MIME CA (test)"), { password: "p12-pass-word" }), password: "p12-pass-word" }, { ip: null, userAgent: null });
}, 120_000);

afterAll(async () => {
  const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" });
  await c.connect();
  for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
});

describe("backup and restore (PostgreSQL)", () => {
  const file = path.join(work, "pg.tar.gz");
  const fromDir = path.join(work, "from");
  const toDir = path.join(work, "to");

  it("restores into a fresh database and data directory, where devices, users and certificates still work", async () => {
    mkdirSync(fromDir);
    writeFileSync(path.join(fromDir, "secrets.json"), JSON.stringify({ authSecret: "auth-secret", dataKey: process.env.MAMORI_DATA_KEY }));
    const b = cli(["backup", file], { DATABASE_URL: source.url, MAMORI_DATA_DIR: fromDir });
    expect(b.out).toContain("Backed up the PostgreSQL database");
    expect(b.status).toBe(0);

    const target = await emptyDatabase();
    const r = cli(["restore", file], { DATABASE_URL: target, MAMORI_DATA_DIR: toDir });
    expect(r.out).toContain("Restored");
    expect(r.status).toBe(0);
    const restoredKey = JSON.parse(readFileSync(path.join(toDir, "secrets.json"), "utf8")).dataKey;
    expect(restoredKey).toBe(process.env.MAMORI_DATA_KEY);

    // From here on the app reads the restored database.
    await disconnect();
    process.env.DATABASE_URL = target;
    const user = await prisma().user.findUniqueOrThrow({ where: { email: "hanako@example.jp" } });
    expect(await verifyPassword("correct horse battery", user.passwordHash!)).toBe(true);
    const device = await prisma().device.findUniqueOrThrow({ where: { udid: "BACKUP-UDID" } });
    expect(device).toMatchObject({ status: "ACTIVE", ownerId: user.id });
    // The device's next request is accepted with the identity it enrolled with.
    const { raw, headers } = signed({ Status: "Idle", UDID: "BACKUP-UDID" });
    const answer = await handleConnect(raw, await identifyDevice(headers, raw));
    expect(answer.status).toBe(200);
    const pushCert = await prisma().pushCertificate.findFirstOrThrow({ where: { status: "ACTIVE" } });
    expect(open(pushCert.keySealed!, "push-cert-key").toString()).toContain("PRIVATE KEY");
    const cert = await prisma().userCertificate.findFirstOrThrow({ where: { userId: user.id } });
    expect(openIdentity(cert).keyPem).toContain("PRIVATE KEY");

    // Restoring again over the now-used database is refused, and changes nothing.
    const again = cli(["restore", file], { DATABASE_URL: target, MAMORI_DATA_DIR: toDir });
    expect(again.status).toBe(1);
    expect(again.out).toContain("not empty");
    expect(await prisma().device.count()).toBe(1);
    await disconnect();
    process.env.DATABASE_URL = source.url;
  });

  it("refuses a backup from a newer Mamori, and a file that is not a backup", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mamori-newer-"));
    writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ format: 1, kind: "postgresql", migration: "29991231000000_future", createdAt: new Date().toISOString() }));
    writeFileSync(path.join(dir, "secrets.json"), "{}");
    writeFileSync(path.join(dir, "database.dump"), "");
    const newer = path.join(work, "newer.tar.gz");
    execFileSync("tar", ["-czf", newer, "-C", dir, "."]);
    await expect(openBackup(newer)).rejects.toThrow(/newer Mamori/);
    const junk = path.join(work, "junk.tar.gz");
    writeFileSync(junk, "not a backup");
    await expect(openBackup(junk)).rejects.toBeInstanceOf(BackupError);
  });
});

describe("backup and restore (embedded database)", () => {
  it("round-trips the embedded database and its secrets into a fresh data directory", async () => {
    const fromDir = path.join(work, "embedded-from");
    const toDir = path.join(work, "embedded-to");
    const key = randomBytes(32).toString("base64");
    mkdirSync(fromDir);
    writeFileSync(path.join(fromDir, "secrets.json"), JSON.stringify({ authSecret: "a", dataKey: key }));
    const db = await startEmbedded(path.join(fromDir, "pglite"));
    const sealed = seal("ldap-bind-secret", "directory.bindPassword", Buffer.from(key, "base64"));
    try {
      await migrate(db.url);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      await c.query(`INSERT INTO users (id, email, display_name, role, password_hash, updated_at) VALUES (gen_random_uuid(), 'taro@example.jp', 'Taro', 'ADMIN', $1, now())`, [await hashPassword("another long password")]);
      await c.query(`INSERT INTO settings (key, value, updated_at) VALUES ('directory', $1, now())`, [JSON.stringify({ bindPasswordSealed: sealed })]);
      await c.end();
    } finally {
      await db.stop();
    }
    const b = cli(["backup", path.join(work, "embedded.tar.gz")], { MAMORI_DATA_DIR: fromDir });
    expect(b.out).toContain("Backed up the embedded database");
    const r = cli(["restore", path.join(work, "embedded.tar.gz")], { MAMORI_DATA_DIR: toDir });
    expect(r.out).toContain("Restored");
    expect(r.status).toBe(0);
    expect(existsSync(path.join(toDir, "pglite"))).toBe(true);

    const restored = await startEmbedded(path.join(toDir, "pglite"));
    try {
      const c = new pg.Client({ connectionString: restored.url });
      await c.connect();
      const { rows } = await c.query(`SELECT u.password_hash, s.value->>'bindPasswordSealed' AS sealed FROM users u, settings s WHERE u.email = 'taro@example.jp' AND s.key = 'directory'`);
      await c.end();
      expect(await verifyPassword("another long password", rows[0].password_hash)).toBe(true);
      const restoredKey = JSON.parse(readFileSync(path.join(toDir, "secrets.json"), "utf8")).dataKey;
      expect(open(rows[0].sealed, "directory.bindPassword", [Buffer.from(restoredKey, "base64")]).toString()).toBe("ldap-bind-secret");
    } finally {
      await restored.stop();
    }
    // A second restore over it is refused.
    const again = cli(["restore", path.join(work, "embedded.tar.gz")], { MAMORI_DATA_DIR: toDir });
    expect(again.status).toBe(1);
    expect(again.out).toContain("already holds a database");
  }, 240_000);
});
