import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { SMTPServer } from "smtp-server";
import { createAdmin, sql } from "./db";
import { clearPushCertificates, enrollmentLink, forgetDevices, installPushCertificate, signIn } from "./helpers";
import { createTestCa, serverCertificate } from "../support/test-ca";
import { SimulatedDevice } from "../../scripts/simulator/device";

// A fresh install walked to its first enrolled iPhone by following the setup checklist, which
// must turn green item by item from the real state: mail through the company's SMTP relay (a
// real SMTP server started here, STARTTLS with a company CA), the push certificate, a user, the
// first device, and last the public https address. Runs in the first-run project, right after
// foundation.spec.ts, while the database has no device, push certificate or mail transport.

const ADMIN = { email: "walk-admin@example.jp", password: "install-walk-admin" };
const USER = { name: "Hanako Walk", email: "hanako.walk@example.jp" };
const mailCa = createTestCa("Example Corp Mail CA");
const relayCert = serverCertificate(mailCa);
const apple = createTestCa("Apple Application Integration 2 Certification Authority (test)");

const received: { to: string[]; raw: string }[] = [];
const relay = new SMTPServer({
  key: relayCert.keyPem,
  cert: relayCert.certPem,
  authMethods: ["PLAIN", "LOGIN"],
  logger: false,
  onAuth(auth, _s, cb) {
    if (auth.username === "mamori" && auth.password === "relay-secret") return cb(null, { user: "mamori" });
    return cb(Object.assign(new Error("5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
  },
  onData(stream, session, cb) {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
      cb();
    });
  },
});
let relayPort = 0;
let iphone: SimulatedDevice | undefined;

async function states(page: Page): Promise<Record<string, string | null>> {
  const items = page.getByTestId("setup-checklist").locator("[data-testid^=setup-]").filter({ has: page.getByTestId("setup-detail") });
  return Object.fromEntries(await items.evaluateAll((lis) => lis.map((li) => [li.getAttribute("data-testid")!.slice(6), li.getAttribute("data-state")])));
}

async function checklist(page: Page) {
  await page.goto("/admin/setup-status");
  return states(page);
}

test.describe.serial("from a fresh install to the first iPhone", () => {
  test.describe.configure({ timeout: 180_000 });

  test.beforeAll(async () => {
    await createAdmin(ADMIN.email, ADMIN.password, "Walk Admin");
    // foundation.spec.ts leaves end users behind; this walk starts from none.
    await sql("UPDATE users SET disabled = true WHERE role = 'END_USER'");
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    relayPort = (relay.server.address() as AddressInfo).port;
  });

  test.afterAll(async () => {
    // Leave the features specs the development outbox, the browser's address and no device.
    await sql("DELETE FROM settings WHERE key IN ('smtp', 'general')");
    await forgetDevices([iphone?.udid]);
    await clearPushCertificates();
    await new Promise<void>((r) => relay.close(() => r()));
  });

  test("the checklist turns green item by item, ending with the first enrolled iPhone", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await expect(page.getByTestId("setup-checklist")).toBeVisible();
    expect(await states(page)).toEqual({ publicUrl: "todo", pushCertificate: "todo", mail: "todo", users: "todo", firstDevice: "todo", ade: "optional", android: "optional" });
    await expect(page.getByTestId("setup-mail").getByTestId("setup-detail")).toHaveText("Mails stay in the development outbox: nobody receives them.");

    // Mail: the item's link leads to Settings; a wrong password is told as such.
    await page.getByTestId("setup-mail").getByRole("link", { name: "Set up mail and send a test mail" }).click();
    await expect(page).toHaveURL(/\/admin\/settings$/);
    await expect(page.getByTestId("mail-transport")).toHaveAttribute("data-transport", "outbox");
    const smtp = page.getByTestId("smtp-form");
    // Every mistake at once, each beside its field, and what was typed is kept.
    await smtp.getByLabel("Host").fill("smtp example");
    await smtp.getByLabel("Port").fill("99999");
    await smtp.getByRole("button", { name: "Save" }).click();
    await expect(smtp.getByTestId("form-error")).toBeVisible();
    await expect(smtp.getByLabel("Host")).toHaveAttribute("aria-invalid", "true");
    await expect(smtp.getByLabel("Host")).toHaveAccessibleDescription(/Enter a host name or IP address for the SMTP server\./);
    await expect(smtp.getByLabel("Port")).toHaveAttribute("aria-invalid", "true");
    await expect(smtp.getByText("Enter a port number from 1 to 65535.")).toBeVisible();
    await expect(smtp.getByLabel("Host")).toHaveValue("smtp example");
    await smtp.getByLabel("Host").fill("localhost");
    await smtp.getByLabel("Port").fill(String(relayPort));
    await expect(smtp.getByLabel("Encryption")).toHaveValue("starttls");
    await smtp.getByLabel("User name (optional)").fill("mamori");
    await smtp.getByLabel("Password", { exact: true }).fill("wrong-password");
    await smtp.getByLabel("Trusted CA certificate (optional, PEM)").fill(mailCa.certPem);
    await smtp.getByRole("button", { name: "Save" }).click();
    await expect(smtp.getByTestId("form-message")).toHaveText("SMTP settings saved. Send a test mail to check them.");
    await expect(page.getByTestId("mail-transport")).toHaveText(`Mail goes out through: SMTP (localhost:${relayPort})`);
    const testMail = page.getByTestId("test-mail-form");
    await testMail.getByRole("button", { name: "Send test mail" }).click();
    await expect(testMail.getByTestId("form-error")).toContainText(`The SMTP server localhost:${relayPort} refused the user name or password.`);
    expect(received).toHaveLength(0);
    expect((await checklist(page)).mail).toBe("warning");

    await page.goto("/admin/settings");
    await expect(smtp.getByLabel("Password", { exact: true })).toHaveValue("");
    await expect(smtp.getByText("A password is saved (encrypted). Leave empty to keep it.")).toBeVisible();
    await smtp.getByLabel("Password", { exact: true }).fill("relay-secret");
    await smtp.getByRole("button", { name: "Save" }).click();
    await expect(smtp.getByTestId("form-message")).toBeVisible();
    await testMail.getByRole("button", { name: "Send test mail" }).click();
    await expect(testMail.getByTestId("form-message")).toHaveText(`Test mail sent to ${ADMIN.email} through SMTP. Check that it arrived.`);
    expect(received.map((m) => m.to)).toEqual([[ADMIN.email]]);
    expect(received[0]!.raw).toContain("Subject: Mamori test mail");
    let s = await checklist(page);
    expect(s).toMatchObject({ mail: "done", pushCertificate: "todo", users: "todo", firstDevice: "todo", publicUrl: "todo" });
    await expect(page.getByTestId("setup-mail").getByTestId("setup-detail")).toHaveText("Mail goes out through SMTP, and the last test mail was sent.");

    // The push certificate.
    await installPushCertificate(page, apple, randomUUID());
    s = await checklist(page);
    expect(s).toMatchObject({ mail: "done", pushCertificate: "done", users: "todo" });

    // A user, invited: the invitation leaves through the relay.
    await page.getByTestId("setup-users").getByRole("link").click();
    await expect(page).toHaveURL(/\/admin\/users/);
    const add = page.getByTestId("add-users-form");
    await add.getByLabel("Users, one per line").fill(`${USER.name}, ${USER.email}`);
    await add.getByRole("button", { name: "Add users" }).click();
    await expect(add.getByTestId("form-message")).toContainText("1 user(s) added");
    await expect.poll(() => received.filter((m) => m.to.includes(USER.email)).length).toBe(1);
    s = await checklist(page);
    expect(s).toMatchObject({ users: "done", firstDevice: "todo" });

    // The first device: an iPhone enrolls for that user.
    iphone = new SimulatedDevice({ platform: "ios" });
    await iphone.enroll(await enrollmentLink(page, USER));
    await expect.poll(async () => (await checklist(page)).firstDevice, { timeout: 30_000 }).toBe("done");
    expect((await checklist(page)).publicUrl).toBe("todo");
    await expect(page.getByTestId("setup-publicUrl").getByTestId("setup-detail")).toHaveText("No public address is set: links would point at whatever address the admin's browser used.");

    // Last, the https address real iPhones will use; the dashboard then drops the checklist.
    await page.getByTestId("setup-publicUrl").getByRole("link", { name: "Set the public address" }).click();
    const general = page.getByTestId("general-form");
    await general.getByLabel("Public URL").fill("https://mdm.example.jp");
    await general.getByRole("button", { name: "Save" }).click();
    await expect(general.getByTestId("form-message")).toBeVisible();
    expect(await checklist(page)).toEqual({ publicUrl: "done", pushCertificate: "done", mail: "done", users: "done", firstDevice: "done", ade: "optional", android: "optional" });
    await expect(page.getByText("Everything a real device needs is in place.", { exact: false })).toBeVisible();
    await page.goto("/admin");
    await expect(page.getByTestId("setup-checklist")).toHaveCount(0);
  });
});
