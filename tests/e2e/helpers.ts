import { readFileSync } from "node:fs";
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { signPushCsr } from "../support/push-fixtures";
import type { TestCa } from "../support/test-ca";
import { sql } from "./db";

export async function signIn(page: Page, email: string, password: string, landing = /\/admin$/) {
  await page.goto("/login");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(landing);
}

export async function download(page: Page, name: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()]);
  return readFileSync((await dl.path())!, "utf8");
}

const pendingCsr = async () => (await sql<{ csr_pem: string }>("SELECT csr_pem FROM push_certificate_requests"))[0]?.csr_pem ?? null;

/** On the push certificate page: create a request and download its CSR (the new one, not the last). */
export async function newCsr(page: Page): Promise<string> {
  await openPushSteps(page);
  const before = await pendingCsr();
  await page.getByRole("button", { name: /Create request/ }).click();
  await expect.poll(pendingCsr).not.toBe(before);
  await expect(page.getByTestId("pending-request")).toBeVisible();
  const csr = await download(page, "Download CSR (.pem)");
  expect(csr.replace(/\r/g, "")).toBe((await pendingCsr())!.replace(/\r/g, ""));
  return csr;
}

/** The push page folds its four steps while a valid certificate is far from expiry. */
export async function openPushSteps(page: Page) {
  const steps = page.getByTestId("push-steps");
  if ((await steps.getAttribute("open")) === null) await steps.locator("summary").click();
}

export async function uploadCert(page: Page, pem: string, appleId?: string) {
  await openPushSteps(page);
  const form = page.getByTestId("upload-form");
  await form.getByLabel("Certificate from Apple (.pem or .cer)").setInputFiles({ name: "MDM_Mamori_Certificate.pem", mimeType: "application/x-pem-file", buffer: Buffer.from(pem) });
  if (appleId !== undefined) await form.getByLabel("Apple ID used at the portal").fill(appleId);
  await form.getByRole("button", { name: "Upload certificate" }).click();
}

/** The whole first-certificate flow through the UI, as an admin does it. */
export async function installPushCertificate(page: Page, ca: TestCa, uuid: string, days = 365) {
  await page.goto("/admin/certificates/push");
  const csr = await newCsr(page);
  await uploadCert(page, signPushCsr(ca, csr, { uuid, days }).certPem, "mdm-admin@example.jp");
  await expect(page.getByTestId("upload-form").getByTestId("form-message")).toContainText(/active until|Renewed until/);
}

/** A one-time enrollment link made on the admin enrollment page, bound to an owner when given. */
export async function enrollmentLink(page: Page, owner?: { name: string; email: string }): Promise<string> {
  await page.goto("/admin/enrollment");
  const form = page.getByTestId("enrollment-form");
  if (owner) await form.getByLabel("Owner").selectOption({ label: `${owner.name} (${owner.email})` });
  await form.getByRole("button", { name: "Create enrollment link" }).click();
  const message = await form.getByTestId("form-message").textContent();
  const url = /(http\S+\/enroll\/profile\/\S+)/.exec(message ?? "")?.[1];
  expect(url, message ?? "").toBeTruthy();
  return url!;
}

/** Specs share one database: those that enroll devices start and end with no push certificate. */
export async function clearPushCertificates() {
  await sql("DELETE FROM push_certificates");
  await sql("DELETE FROM push_certificate_requests");
}

/** Removes a spec's simulated devices, so later specs count only their own. */
export async function forgetDevices(udids: (string | undefined)[]) {
  const known = udids.filter(Boolean);
  if (known.length) await sql("DELETE FROM devices WHERE udid = ANY($1)", [known]);
}

/** Opens a collapsed action panel (a <details> with this test id). */
export async function openPanel(page: Page, testId: string) {
  const panel = page.getByTestId(testId);
  await panel.locator("summary").click();
  return panel;
}

/**
 * Waits for what follows an enrollment (the device-enrolled job: first inventory, configurations,
 * invitation) to have run, as a real device waits for the push that job ends with.
 */
export async function afterEnrollment(udid: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [job] = await sql<{ state: string }>(
      `SELECT j.state FROM pgboss.job j JOIN devices d ON j.data->>'deviceId' = d.id::text
       WHERE j.name = 'device-enrolled' AND d.udid = $1 ORDER BY j.created_on DESC LIMIT 1`,
      [udid],
    ).catch(() => []);
    if (job?.state === "completed") return;
    if (job?.state === "failed") throw new Error(`device-enrolled failed for ${udid}`);
    if (Date.now() > deadline) throw new Error(`device-enrolled did not run for ${udid} (${job?.state ?? "not queued"})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A browser context signed in as `who` (its page closed), for tests that try many addresses as one visitor. */
export async function signedIn(browser: Browser, who: { email: string; password: string }, landing: RegExp): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, who.email, who.password, landing);
  await page.close();
  return ctx;
}
