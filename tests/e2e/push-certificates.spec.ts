import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, sql } from "./db";
import { download, newCsr, signIn as signInAs, uploadCert } from "./helpers";
import { createTestCa } from "../support/test-ca";
import { signPushCsr, toPkcs12 } from "../support/push-fixtures";
import { parseVendorRequest, generatePushRequest } from "../../lib/pki/push-csr";
import { createTestAppleChain, selfSigned, vendorName } from "../support/apple-test-chain";
import { mkdirSync, writeFileSync } from "node:fs";

const ADMIN = { email: "certs@example.jp", password: "push-certificate-admin" };
const ca = createTestCa("Apple Application Integration 2 Certification Authority (test)");
const uuid = randomUUID();
const DAY = 86_400_000;

const signIn = (page: Page) => signInAs(page, ADMIN.email, ADMIN.password);

test.describe.serial("push certificate lifecycle", () => {
  test.beforeAll(async () => createAdmin(ADMIN.email, ADMIN.password));

  test("generate, download, refuse bad files, upload: the countdown is red near expiry", async ({ page }) => {
    await signIn(page);
    await page.goto("/admin/certificates");
    await expect(page.getByTestId("cert-card-push")).toContainText("Not configured");
    await page.getByTestId("cert-card-push").getByRole("link", { name: "Manage" }).click();
    await expect(page.getByRole("heading", { name: "Apple push certificate", level: 1 })).toBeVisible();
    const csr = await newCsr(page);
    expect(csr).toContain("-----BEGIN CERTIFICATE REQUEST-----");

    const form = page.getByTestId("upload-form");
    await uploadCert(page, "this is not a certificate", "mdm-admin@example.jp");
    await expect(form.getByTestId("form-error")).toHaveText(/This file is not a certificate/);
    await uploadCert(page, signPushCsr(ca, generatePushRequest().csrPem, { uuid }).certPem);
    await expect(form.getByTestId("form-error")).toContainText("was not made from the request downloaded from Mamori");
    const expired = signPushCsr(ca, csr, { uuid, days: -2, notBefore: new Date(Date.now() - 300 * DAY) });
    await uploadCert(page, expired.certPem);
    await expect(form.getByTestId("form-error")).toContainText("This certificate expired on");
    await uploadCert(page, signPushCsr(ca, csr, { uuid }).certPem, "");
    await expect(form.getByTestId("form-error")).toContainText("Enter the Apple ID");
    expect(await sql("SELECT 1 FROM push_certificates")).toHaveLength(0);

    await uploadCert(page, signPushCsr(ca, csr, { uuid, days: 20 }).certPem, "mdm-admin@example.jp");
    await expect(form.getByTestId("form-message")).toContainText("The certificate is active until");
    const active = page.getByTestId("active-push-cert");
    await expect(active).toContainText(`com.apple.mgmt.External.${uuid}`);
    await expect(active.getByTestId("days-left")).toHaveText(/^(19|20) days left$/);
    await expect(active.getByTestId("days-left")).toHaveAttribute("data-red", "true");
    // 20 days left: the renewal steps stay open.
    await expect(page.getByTestId("push-steps")).toHaveAttribute("open", "");
    await page.goto("/admin/certificates");
    await expect(page.getByTestId("cert-card-push").getByTestId("days-left")).toHaveAttribute("data-red", "true");
    // 30 days or less: a banner on every admin page.
    for (const path of ["/admin", "/admin/audit", "/admin/users"]) {
      await page.goto(path);
      await expect(page.getByTestId("expiry-banner")).toContainText(/Apple push certificate expires in (19|20) days/);
    }
  });

  test("the vendor certificate signs the request Apple's portal accepts", async ({ page }) => {
    await signIn(page);
    await page.goto("/admin/certificates/push");
    // The explanation of both ways, then a self-signed certificate refused with its reason.
    const ways = page.getByTestId("signing-ways");
    await expect(ways).toContainText("Way A: your own MDM vendor certificate (Apple Developer Enterprise Program)");
    await expect(ways).toContainText("Way B: a community vendor-signing service");
    const file = page.getByLabel("Vendor certificate (.p12 or .pfx)");
    await file.setInputFiles({ name: "self.p12", mimeType: "application/x-pkcs12", buffer: toPkcs12(selfSigned(vendorName()), "pw") });
    await page.getByLabel("Password of the file").fill("pw");
    await page.getByRole("button", { name: "Upload vendor certificate" }).click();
    await expect(page.getByTestId("vendor-form").getByTestId("form-error")).toContainText("This certificate is self-signed.");
    await page.context().addCookies([{ name: "mamori_locale", value: "ja", url: page.url() }]);
    await page.reload();
    await expect(ways).toContainText("方法 A：自社の MDM ベンダー証明書");
    await expect(ways).toContainText("方法 B：コミュニティのベンダー署名サービス");
    await page.getByLabel("ベンダー証明書（.p12 または .pfx）").setInputFiles({ name: "self.p12", mimeType: "application/x-pkcs12", buffer: toPkcs12(selfSigned(vendorName()), "pw") });
    await page.getByLabel("ファイルのパスワード").fill("pw");
    await page.getByRole("button", { name: "ベンダー証明書をアップロード" }).click();
    await expect(page.getByTestId("vendor-form").getByTestId("form-error")).toContainText("この証明書は自己署名です。");
    await page.context().addCookies([{ name: "mamori_locale", value: "en", url: page.url() }]);
    await page.reload();

    // A chain shaped like Apple's, trusted through the test-only MAMORI_APPLE_TRUST_ROOTS_FILE.
    const apple = createTestAppleChain();
    mkdirSync(".data-e2e", { recursive: true });
    writeFileSync(".data-e2e/test-apple-roots.pem", apple.root.certPem);
    const vendor = apple.issue();
    const p12 = toPkcs12(vendor, "vendor-pass", [apple.wwdr.certPem, apple.root.certPem]);
    await file.setInputFiles({ name: "vendor.p12", mimeType: "application/x-pkcs12", buffer: p12 });
    await page.getByLabel("Password of the file").fill("wrong");
    await page.getByRole("button", { name: "Upload vendor certificate" }).click();
    await expect(page.getByText("The password is incorrect.")).toBeVisible();
    await file.setInputFiles({ name: "vendor.p12", mimeType: "application/x-pkcs12", buffer: p12 });
    await page.getByLabel("Password of the file").fill("vendor-pass");
    await page.getByRole("button", { name: "Upload vendor certificate" }).click();
    await expect(page.getByText("Vendor certificate saved.")).toBeVisible();
    const csr = await newCsr(page);
    const signed = parseVendorRequest(await download(page, "Download signed request for Apple"));
    expect(signed.csrPem.replace(/\r/g, "").trim()).toBe(csr.replace(/\r/g, "").trim());
  });

  test("renewal keeps the topic; another topic is refused as a new certificate", async ({ page }) => {
    await signIn(page);
    await page.goto("/admin/certificates/push");
    await expect(page.getByText("Use the same Apple ID as before: mdm-admin@example.jp")).toBeVisible();
    let csr = await newCsr(page);
    await uploadCert(page, signPushCsr(ca, csr, { days: 365 }).certPem);
    await expect(page.getByTestId("upload-form").getByTestId("form-error")).toContainText("This is a new certificate, not a renewal");
    csr = await newCsr(page);
    await uploadCert(page, signPushCsr(ca, csr, { uuid, days: 365 }).certPem);
    await expect(page.getByTestId("upload-form").getByTestId("form-message")).toContainText("Renewed until");
    await expect(page.getByTestId("active-push-cert").getByTestId("days-left")).toHaveAttribute("data-red", "false");
    // A year ahead: the page shows the certificate; the four steps wait folded until renewal is due.
    const steps = page.getByTestId("push-steps");
    await expect(steps).not.toHaveAttribute("open", "");
    await expect(steps.locator("summary")).toHaveText(/The certificate is valid for 36\d more days\./);
    await expect(page.getByRole("button", { name: "Upload certificate" })).toBeHidden();
    await page.reload();
    await expect(steps).not.toHaveAttribute("open", "");
    await expect(page.getByTestId("history-row")).toHaveCount(1);
    await expect(page.getByTestId("history-row")).toContainText("Replaced");
    await expect(page.getByTestId("expiry-banner")).toHaveCount(0);
  });

  test("notes are kept, delete needs the typed word", async ({ page }) => {
    await signIn(page);
    await page.goto("/admin/certificates/push");
    await page.getByLabel("Notes", { exact: true }).fill("Apple ID password: IT safe, shelf 2");
    await page.getByRole("button", { name: "Save notes" }).click();
    await expect(page.getByText("Notes saved.")).toBeVisible();
    await page.getByLabel("Type DELETE to confirm").fill("yes");
    await page.getByRole("button", { name: "Delete certificate" }).click();
    await expect(page.getByText("Type DELETE to confirm the deletion.")).toBeVisible();
    await page.getByLabel("Type DELETE to confirm").fill("DELETE");
    await page.getByRole("button", { name: "Delete certificate" }).click();
    await expect(page.getByText("No push certificate yet.")).toBeVisible();
    await expect(page.getByTestId("history-row").filter({ hasText: "Deleted" })).toContainText("Apple ID password: IT safe, shelf 2");
    const audit = await sql<{ action: string; result: string }>("SELECT action, result FROM audit_events WHERE action LIKE 'pushCert.%' ORDER BY id");
    expect(audit.map((a) => `${a.action}:${a.result}`)).toEqual(expect.arrayContaining([
      "pushCert.request:SUCCESS", "pushCert.upload:FAILURE", "pushCert.upload:SUCCESS", "pushCert.notes:SUCCESS", "pushCert.delete:FAILURE", "pushCert.delete:SUCCESS", "pushCert.download:SUCCESS",
    ]));
  });
});
