import { execSync } from "node:child_process";
import { randomBytes, generateKeyPairSync } from "node:crypto";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase } from "../tests/support/test-database";
import { startServer } from "./bench/processes";
process.env.TEST_DATABASE_URL ||= "postgresql://postgres@127.0.0.1:5432/postgres";
process.env.MAMORI_DATA_KEY ||= randomBytes(32).toString("base64");
process.env.AUTH_SECRET ||= randomBytes(32).toString("base64url");
function cpu(pid: number) { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10; }
async function main() {
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  const { migrate } = await import("../lib/db/migrate");
  await migrate(db.url).catch(() => {});
  const { deviceCa } = await import("../lib/pki/device-ca");
  const { issueCertificate } = await import("../lib/pki/ca");
  const { signData } = await import("../lib/pki/cms");
  const { buildPlist } = await import("../lib/mdm/plist");
  const { createEnrollment, redeemProfileToken, consumeChallenge } = await import("../lib/enrollment/service");
  await deviceCa();
  const port = 3999;
  const srv = await startServer({ DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1", MAMORI_WORKERS: "1", MAMORI_ALLOW_HTTP_MDM: "1", MAMORI_DATA_DIR: mkdtempSync(path.join(tmpdir(), "x-")) });
  const getPids = () => execSync(`pgrep -f "/work/main/scripts/server.mjs" || true`).toString().trim().split("\n").filter(Boolean).map(Number).filter((p) => { try { readFileSync(`/proc/${p}/stat`); return true; } catch { return false; } });
  const e = await createEnrollment({}, { id: null, label: "x" }, { ip: null, userAgent: null });
  const { challenge } = await redeemProfileToken(e.profileToken);
  await consumeChallenge(challenge, e.id);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const id = { certPem: issueCertificate(await deviceCa(), { publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), subject: [["CN", e.id]], days: 30 }), keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
  const put = async (p: string, body: object) => { const raw = Buffer.from(buildPlist(body as never)); const r = await fetch(`http://127.0.0.1:${port}${p}`, { method: "PUT", body: raw, headers: { "mdm-signature": signData(raw, id, { detached: true }).toString("base64") } }); await r.text(); return r.status; };
  console.log(await put("/api/mdm/checkin", { MessageType: "Authenticate", Topic: "com.apple.mgmt.External.x", UDID: "EXP", ProductName: "iPhone16,2" }));
  console.log(await put("/api/mdm/checkin", { MessageType: "TokenUpdate", Topic: "com.apple.mgmt.External.x", UDID: "EXP", Token: Buffer.alloc(32, 1), PushMagic: "p" }));
  await new Promise((r) => setTimeout(r, 3000));
  const raw = Buffer.from(buildPlist({ Status: "Idle", UDID: "EXP" }));
  const sig = signData(raw, id, { detached: true }).toString("base64");
  for (const path2 of [process.env.EXP_PATH ?? "/api/mdm/connect"]) {
    for (let round = 0; round < 2; round++) {
      const N = 3000; let next = 0;
      const pids = getPids(); const c0 = pids.map(cpu); const t0 = performance.now();
      await Promise.all(Array.from({ length: 8 }, async () => { while (next++ < N) { const r = await fetch(`http://127.0.0.1:${port}${path2}`, { method: "PUT", body: raw, headers: { "mdm-signature": sig } }); await r.text(); } }));
      const secs = (performance.now() - t0) / 1000; const c1 = pids.map(cpu);
      console.log(path2, "req/s", (N / secs).toFixed(0), "server cpu ms/req", ((c1.reduce((a, b) => a + b) - c0.reduce((a, b) => a + b)) / N).toFixed(3));
    }
  }
  await srv.stop(); await db.drop(); process.exit(0);
}
main();
