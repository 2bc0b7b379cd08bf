import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { createAdmin, sql } from "./db";
import { forgeToken, tokenText } from "../support/ade-fixtures";
import { createTestCa } from "../support/test-ca";

const ADMIN = { email: "ade@example.jp", password: "ade-token-admin-pass" };
const creds = (days: number) => ({
  consumerKey: "CK_e2e_48dd68d198350f51258e885ce9a5c37ab7f98543",
  consumerSecret: "CS_e2e_34c7b2b531a600d99a0e4edcf4a78ded79b86ef3",
  accessToken: "AT_e2e_927696831c59ba510cfe4ec1a69e5267c19881257d",
  accessSecret: "AS_e2e_c03bd5e2d4d0b3c0d1f2e3a4b5c6d7e8f9a0b1c2",
  expiry: new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z"),
});

async function signIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("Email address").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin$/);
}

async function upload(page: Page, file: Buffer) {
  await page.getByLabel("Server token file (_smime.p7m)").setInputFiles({ name: "Mamori_Token_smime.p7m", mimeType: "application/pkcs7-mime", buffer: file });
  await page.getByRole("button", { name: "Upload token" }).click();
}

test("ADE token: public key, wrong files refused, upload shows the countdown", async ({ page }) => {
  await createAdmin(ADMIN.email, ADMIN.password);
  await signIn(page);
  await page.goto("/admin/certificates/ade");
  await expect(page.getByText("No server token yet.")).toBeVisible();
  await page.getByRole("button", { name: "Create Mamori's public key" }).click();
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download public key (.pem)" }).click()]);
  const publicKey = readFileSync((await dl.path())!, "utf8");
  expect(publicKey).toContain("-----BEGIN CERTIFICATE-----");

  const form = page.getByTestId("ade-upload");
  await upload(page, Buffer.from("not a token"));
  await expect(form.getByTestId("form-error")).toContainText("This file is not an ADE server token.");
  const foreign = createTestCa("Some other MDM server").certPem;
  await upload(page, forgeToken(tokenText(creds(300)), foreign));
  await expect(form.getByTestId("form-error")).toContainText("This token was made for a different public key.");
  expect(await sql("SELECT 1 FROM ade_tokens WHERE consumer_key IS NOT NULL")).toHaveLength(0);

  // Apple's DEP API is not reachable from tests: the token is kept, without the organisation name.
  await upload(page, forgeToken(tokenText(creds(45)), publicKey));
  await expect(form.getByTestId("form-message")).toContainText("Token uploaded for Unknown");
  await expect(form.getByTestId("form-message")).toContainText("the organisation name could not be read from Apple");
  const current = page.getByTestId("ade-token");
  await expect(current.getByTestId("days-left")).toHaveText(/^(44|45) days left$/);
  await expect(current.getByTestId("days-left")).toHaveAttribute("data-red", "true");
  await page.goto("/admin/certificates");
  await expect(page.getByTestId("cert-card-ade").getByTestId("days-left")).toHaveText(/^(44|45) days left$/);
});
