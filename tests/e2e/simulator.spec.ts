import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, createEndUser, sql } from "./db";
import { installPushCertificate, signIn, enrollmentLink as linkFor, afterEnrollment } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { SimulatedDevice } from "../../scripts/simulator/device";
import { scepEnroll } from "../../lib/pki/scep-client";

// The device simulator enrolls and answers commands through the running server, using only the
// public protocol. Commands are queued here straight into the queue table, as the device and
// portal pages (later issues) will do through the UI.

const ADMIN = { email: "mdm@example.jp", password: "mdm-protocol-admin" };
const OWNER = { email: "owner@example.jp", password: "device-owner-pass" };
const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const uuid = randomUUID();

const enrollmentLink = (page: Page, owner?: string) => linkFor(page, owner ? { name: "Hanako Sato", email: owner } : undefined);

async function queue(udid: string, command: Record<string, unknown>) {
  await sql(
    `INSERT INTO commands (id, device_id, request_type, payload, queued_by_label, expires_at)
     SELECT $1, id, $2, $3, 'e2e', now() + interval '1 day' FROM devices WHERE udid = $4`,
    [randomUUID().toUpperCase(), command.RequestType, JSON.stringify(command), udid],
  );
}

const commands = (udid: string) =>
  sql<{ request_type: string; status: string }>(`SELECT c.request_type, c.status FROM commands c JOIN devices d ON d.id = c.device_id WHERE d.udid = $1 ORDER BY seq`, [udid]);

test.describe.serial("Apple MDM protocol with simulated devices", () => {
  let iphone: SimulatedDevice;
  let link: string;

  test("no push certificate: no enrollment links", async ({ page }) => {
    await sql("DELETE FROM push_certificates WHERE status = 'ACTIVE'");
    await createAdmin(ADMIN.email, ADMIN.password);
    await createEndUser(OWNER.email, OWNER.password);
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto("/admin/enrollment");
    await expect(page.getByText("Upload the Apple push certificate first")).toBeVisible();
    await page.getByRole("button", { name: "Create enrollment link" }).click();
    await expect(page.getByTestId("form-error")).toContainText("no active Apple push certificate");
  });

  test("an iPhone enrolls with the profile, SCEP and check-in, and answers its first commands", async ({ page, request, baseURL }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await installPushCertificate(page, ca, uuid);
    link = await enrollmentLink(page, OWNER.email);
    iphone = new SimulatedDevice({ platform: "ios" });
    // A mail scanner checking the link (HEAD), or prefetching it (GET, no cookies), does not spend it:
    // GET shows a page whose Download button POSTs to the same address.
    expect((await page.request.head(link)).status()).toBe(200);
    const scanner = await request.get(link, { headers: { "accept-language": "en-US,en;q=0.9" } });
    expect(scanner.status()).toBe(200);
    expect(scanner.headers()["content-type"]).toContain("text/html");
    expect(await scanner.text()).toContain("Download the profile");
    // ...so the device's own download still works.
    await iphone.enroll(link);
    await afterEnrollment(iphone.udid);
    const [device] = await sql<{ status: string; topic: string; owner: string; identity_fingerprint: string }>(
      `SELECT d.status, d.topic, u.email AS owner, d.identity_fingerprint FROM devices d JOIN users u ON u.id = d.owner_id WHERE d.udid = $1`, [iphone.udid]);
    expect(device).toMatchObject({ status: "ACTIVE", topic: `com.apple.mgmt.External.${uuid}`, owner: OWNER.email });
    expect(device!.identity_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(iphone.enrollmentProfile!.serverUrl).toBe(`${baseURL}/api/mdm/connect`);

    expect(await iphone.connect()).toBe(2);
    expect(await commands(iphone.udid)).toEqual([
      { request_type: "DeviceInformation", status: "ACKNOWLEDGED" },
      { request_type: "SecurityInfo", status: "ACKNOWLEDGED" },
    ]);
    const [inv] = await sql(`SELECT name, os_version, capacity_gb, supervised, phone_number, imei FROM devices WHERE udid = $1`, [iphone.udid]);
    expect(inv).toMatchObject({ name: "Hanako's iPhone", os_version: "18.1", capacity_gb: 256, supervised: true });
    const [info] = await sql<{ data: { batteryLevel: number }; updated_at: Date }>(
      `SELECT i.data, i.updated_at FROM device_inventory i JOIN devices d ON d.id = i.device_id WHERE d.udid = $1 AND i.kind = 'deviceInformation'`, [iphone.udid]);
    expect(info!.data.batteryLevel).toBe(0.82);
    expect(info!.updated_at).not.toBeNull();
    await page.goto("/admin/enrollment");
    await expect(page.getByTestId("enrollment-row").first()).toContainText("Enrolled");
    await page.goto(`/admin/devices?q=${iphone.serial}`);
    await expect(page.getByTestId("device-row")).toHaveCount(1);
    await expect(page.getByTestId("device-row")).toContainText("Hanako's iPhone");
    await expect(page.getByTestId("device-row")).toContainText("Active");
    await expect(page.getByTestId("device-row")).toContainText(OWNER.email);
    await expect(page.getByTestId("unmanageable")).toHaveCount(0);
  });

  test("the profile link and the SCEP challenge work once only", async ({ request }) => {
    const again = await request.get(link, { headers: { "accept-language": "en-US,en;q=0.9" } });
    expect(again.status()).toBe(410);
    expect(await again.text()).toContain("already been used");
    const post = await request.post(link, { headers: { "accept-language": "en-US,en;q=0.9" } });
    expect(post.status()).toBe(410);
    expect(post.headers()["content-type"]).toContain("text/html");
    const p = iphone.enrollmentProfile!;
    await expect(scepEnroll({ url: p.scep.url, challenge: p.scep.challenge, subject: [["CN", "whatever"]] })).rejects.toMatchObject({ code: "scep.failed" });
  });

  test("commands in order, NotNow kept for later, errors do not block, results stored", async () => {
    Object.assign(iphone.opts, { notNow: ["ProfileList"], error: ["RestartDevice"] });
    for (const c of [
      { RequestType: "ProfileList" },
      { RequestType: "RestartDevice" },
      { RequestType: "EnableLostMode", Message: "拾った方はご連絡ください", PhoneNumber: "03-1234-5678" },
      { RequestType: "DeviceLocation" },
      { RequestType: "InstalledApplicationList" },
    ]) await queue(iphone.udid, c);
    expect(await iphone.connect()).toBe(5);
    const rows = (await commands(iphone.udid)).slice(2);
    expect(rows).toEqual([
      { request_type: "ProfileList", status: "NOT_NOW" },
      { request_type: "RestartDevice", status: "ERROR" },
      { request_type: "EnableLostMode", status: "ACKNOWLEDGED" },
      { request_type: "DeviceLocation", status: "ACKNOWLEDGED" },
      { request_type: "InstalledApplicationList", status: "ACKNOWLEDGED" },
    ]);
    const [dev] = await sql<{ lost_mode: boolean; location: { latitude: number }; applications: unknown[] }>(
      `SELECT d.lost_mode, d.location, i.data AS applications FROM devices d JOIN device_inventory i ON i.device_id = d.id AND i.kind = 'applications' WHERE d.udid = $1`, [iphone.udid]);
    expect(dev!.lost_mode).toBe(true);
    expect(dev!.location.latitude).toBeCloseTo(35.681236);
    expect(dev!.applications).toHaveLength(3);
    const [err] = await sql<{ error_chain: Array<{ code: number }> }>(`SELECT error_chain FROM commands WHERE request_type = 'RestartDevice'`);
    expect(err!.error_chain[0]!.code).toBe(12021);
    // The next connection (after a push) retries the NotNow command.
    iphone.opts.notNow = [];
    expect(await iphone.connect()).toBe(1);
    expect((await commands(iphone.udid)).find((c) => c.request_type === "ProfileList")!.status).toBe("ACKNOWLEDGED");
  });

  test("bad requests are refused with 400 or 413, never 401, and change nothing", async ({ request }) => {
    const url = iphone.enrollmentProfile!.serverUrl;
    const before = await sql(`SELECT last_check_in_at FROM devices WHERE udid = $1`, [iphone.udid]);
    const unsigned = await request.put(url, { data: "<plist><dict/></plist>", headers: { "content-type": "application/x-apple-aspen-mdm" } });
    expect(unsigned.status()).toBe(400);
    expect(await unsigned.text()).toBe("mdm.noIdentity");
    const malformed = await iphone.rawPut(url, Buffer.from("<plist><dict><key>Status</key>"));
    expect([malformed.status, await malformed.text()]).toEqual([400, "mdm.malformedPlist"]);
    const foreign = ca.issue({ subject: [{ name: "commonName", value: "not ours" }] });
    const body = Buffer.from(`<?xml version="1.0"?><plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>${iphone.udid}</string></dict></plist>`);
    const wrongCa = await iphone.rawPut(url, body, undefined, foreign);
    expect([wrongCa.status, await wrongCa.text()]).toEqual([400, "mdm.foreignCertificate"]);
    const otherUdid = await iphone.rawPut(url, Buffer.from(body.toString().replace(iphone.udid, "00008110-000A1B2C3D4E5F6A")));
    expect([otherUdid.status, await otherUdid.text()]).toEqual([400, "mdm.identityMismatch"]);
    const tampered = await request.put(url, {
      data: body.toString().replace("Idle", "NotNow"),
      headers: { "mdm-signature": (await import("../../lib/pki/cms")).signData(body, { certPem: foreign.certPem, keyPem: foreign.keyPem }, { detached: true }).toString("base64") },
    });
    expect(tampered.status()).toBe(400);
    const huge = await request.put(url, { data: Buffer.alloc(1024 * 1024 + 10, 0x20), headers: { "content-type": "application/x-apple-aspen-mdm" } });
    expect(huge.status()).toBe(413);
    expect(await sql(`SELECT last_check_in_at FROM devices WHERE udid = $1`, [iphone.udid])).toEqual(before);
  });

  test("Debian's scepclient gets an identity from the SCEP endpoint with a profile's challenge", async ({ page, request }) => {
    test.skip(!existsSync("/usr/bin/scepclient"), "scepclient is installed by .ci/run");
    await signIn(page, ADMIN.email, ADMIN.password);
    const url = await enrollmentLink(page);
    const res = await request.post(url);
    const text = (await res.body()).toString("latin1");
    const challenge = /<key>Challenge<\/key>\s*<string>([^<]+)<\/string>/.exec(text)![1]!;
    const cn = /<string>CN<\/string>\s*<string>([^<]+)<\/string>/.exec(text)![1]!;
    const dir = mkdtempSync(path.join(tmpdir(), "scepclient-"));
    const run = (c: string) => spawnSync("/usr/bin/scepclient", ["-server-url", `${new URL(url).origin}/api/scep`, "-challenge", c, "-private-key", path.join(dir, "key.pem"), "-certificate", path.join(dir, "cert.pem"), "-cn", cn], { encoding: "utf8", timeout: 30_000 });
    const ok = run(challenge);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "cert.pem"), "utf8")).toContain("BEGIN CERTIFICATE");
    const replay = spawnSync("/usr/bin/scepclient", ["-server-url", `${new URL(url).origin}/api/scep`, "-challenge", challenge, "-private-key", path.join(dir, "key2.pem"), "-certificate", path.join(dir, "cert2.pem"), "-cn", cn], { encoding: "utf8", timeout: 30_000 });
    expect(replay.status).not.toBe(0);
  });

  test("a Mac enrolls; removing the enrollment profile retires it", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const mac = new SimulatedDevice({ platform: "macos" });
    await mac.enroll(await enrollmentLink(page, OWNER.email));
    await afterEnrollment(mac.udid);
    expect(await mac.connect()).toBe(2);
    const [row] = await sql<{ platform: string; model_name: string }>(`SELECT platform, model_name FROM devices WHERE udid = $1`, [mac.udid]);
    expect(row).toEqual({ platform: "MACOS", model_name: "MacBook Pro" });
    await queue(mac.udid, { RequestType: "RemoveProfile", Identifier: mac.enrollmentProfile!.identifier });
    await mac.connect();
    const [retired] = await sql<{ status: string; push_token: string | null }>(`SELECT status, push_token FROM devices WHERE udid = $1`, [mac.udid]);
    expect(retired).toEqual({ status: "RETIRED", push_token: null });
    expect((await commands(mac.udid)).find((c) => c.request_type === "RemoveProfile")!.status).toBe("ACKNOWLEDGED");
  });

  test("a device enrolled under another topic is shown as unmanageable", async ({ page }) => {
    await sql(`UPDATE devices SET topic = 'com.apple.mgmt.External.old-certificate' WHERE udid = $1`, [iphone.udid]);
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(`/admin/devices?q=${iphone.serial}`);
    await expect(page.getByTestId("unmanageable")).toHaveText("Enrolled with another push certificate: enroll again");
    await page.goto("/admin/certificates/push");
    await expect(page.getByText(/1 devices enrolled with another push certificate/)).toBeVisible();
  });
});
