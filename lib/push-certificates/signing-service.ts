import { z } from "zod";
import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { open, seal } from "@/lib/crypto";
import { UserError } from "@/lib/errors";
import { createSelfSigned, newRsaKeyPem } from "@/lib/pki/ca";
import { openEnvelopedData } from "@/lib/pki/cms";
import { parseVendorRequest } from "@/lib/pki/push-csr";
import { checkVendorCertificate } from "@/lib/pki/vendor-check";
import { generateRequest, refused, type RequestContext } from "./service";

// A community vendor-signing service speaking the mdmcert.download protocol (as micromdm's
// `mdmctl mdmcert.download` uses it): POST {base}/api/v1/signrequest with JSON
// { csr: base64(PEM CSR), email, key: API key, encrypt: base64(PEM encryption certificate) };
// the answer is {"result":"success"}. The service mails the signed request (the base64 plist
// for Apple's portal) as a hex-encoded CMS EnvelopedData addressed to that certificate.

export const DEFAULT_BASE_URL = "https://mdmcert.download";
export const MAX_REPLY_BYTES = 256 * 1024;
const API_KEY = "vendor-service.api-key";
const ENCRYPTION_KEY = "vendor-service.encryption-key";
const TIMEOUT_MS = 30_000;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

const baseUrl = z
  .string()
  .trim()
  .max(2000)
  .superRefine((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return void ctx.addIssue({ code: "custom", message: "vendorService.urlInvalid" });
    }
    const ok = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
    if (!ok || url.username || url.password || url.search || url.hash) ctx.addIssue({ code: "custom", message: "vendorService.urlInvalid" });
  })
  .transform((v) => v.replace(/\/+$/, ""));

export const settingsSchema = z.object({
  baseUrl: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? DEFAULT_BASE_URL : v), baseUrl),
  email: z.string().trim().toLowerCase().pipe(z.email({ error: "vendorService.emailInvalid" })),
  /** Blank keeps the stored key. */
  apiKey: z.string().trim().max(500),
});

export async function getServiceState() {
  const row = await prisma().vendorSigningService.findUnique({ where: { id: 1 } });
  const req = await prisma().pushCertificateRequest.findUnique({ where: { id: 1 }, select: { csrPem: true } });
  return {
    baseUrl: row?.baseUrl ?? DEFAULT_BASE_URL,
    email: row?.email ?? "",
    hasApiKey: Boolean(row?.apiKeySealed),
    submittedAt: row?.submittedAt ?? null,
    submittedByLabel: row?.submittedByLabel ?? null,
    // Replies for an older request are no use: Apple would issue a certificate for another key.
    awaitingReply: Boolean(row?.encryptionKeySealed && req && row.submittedCsrPem === req.csrPem && !row.signedRequest),
    signedAt: row?.signedRequest && req && row.submittedCsrPem === req.csrPem ? row.signedAt : null,
  };
}

export async function saveServiceSettings(input: z.input<typeof settingsSchema>, actor: Actor, ctx: RequestContext) {
  return refused("vendorService.settings", actor, ctx, async () => {
    const parsed = settingsSchema.safeParse(input);
    if (!parsed.success) throw new UserError(parsed.error.issues[0]?.message ?? "vendorService.urlInvalid");
    const v = parsed.data;
    const current = await prisma().vendorSigningService.findUnique({ where: { id: 1 } });
    const apiKeySealed = v.apiKey ? seal(v.apiKey, API_KEY) : current?.apiKeySealed;
    if (!apiKeySealed) throw new UserError("vendorService.apiKeyRequired");
    const data = { baseUrl: v.baseUrl, email: v.email, apiKeySealed };
    await prisma().vendorSigningService.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
    await audit({ actor, action: "vendorService.settings", target: { type: "vendorSigningService", label: v.baseUrl }, details: { email: v.email, apiKeyChanged: Boolean(v.apiKey) }, ...ctx });
  });
}

/**
 * Sends the pending request (made now if there is none) to the service with a fresh encryption
 * certificate. The key that opens the reply is sealed at rest and kept only once the service
 * has accepted the request.
 */
export async function requestServiceSigning(actor: Actor, ctx: RequestContext) {
  return refused("vendorService.request", actor, ctx, async () => {
    const svc = await prisma().vendorSigningService.findUnique({ where: { id: 1 } });
    if (!svc) throw new UserError("vendorService.notConfigured");
    let req = await prisma().pushCertificateRequest.findUnique({ where: { id: 1 } });
    if (!req) {
      await generateRequest(actor, ctx);
      req = await prisma().pushCertificateRequest.findUniqueOrThrow({ where: { id: 1 } });
    }
    const keyPem = newRsaKeyPem(2048);
    const certPem = createSelfSigned({ keyPem, subject: [["CN", "Mamori vendor-signing exchange"]], hours: 24 * 365 });
    await submit(svc.baseUrl, {
      csr: Buffer.from(req.csrPem).toString("base64"),
      email: svc.email,
      key: open(svc.apiKeySealed, API_KEY).toString("utf8"),
      encrypt: Buffer.from(certPem).toString("base64"),
    });
    const submittedAt = new Date();
    await prisma().vendorSigningService.update({
      where: { id: 1 },
      data: { encryptionCertPem: certPem, encryptionKeySealed: seal(keyPem, ENCRYPTION_KEY), submittedCsrPem: req.csrPem, submittedAt, submittedByLabel: actor.label, signedRequest: null, signedAt: null },
    });
    await audit({ actor, action: "vendorService.request", target: { type: "vendorSigningService", label: svc.baseUrl }, details: { email: svc.email }, ...ctx });
    return { email: svc.email };
  });
}

async function submit(base: string, body: Record<string, string>) {
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/signrequest`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "mamori/vendor-signing" },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new UserError("vendorService.unreachable", { url: base });
  }
  const text = (await res.text().catch(() => "")).slice(0, 2000);
  let json: { result?: unknown; reason?: unknown } = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: reported below with the status
  }
  if (res.ok && json.result === "success") return;
  const reason = typeof json.reason === "string" && json.reason ? json.reason.slice(0, 200) : `HTTP ${res.status}`;
  throw new UserError("vendorService.refused", { reason });
}

/**
 * The file the service mailed: hex of a CMS EnvelopedData. Decrypted with the exchange key,
 * it must be a signed request for the pending CSR, signed by an Apple MDM vendor certificate.
 * Stored for download; nothing changes when any check fails.
 */
export async function acceptServiceReply(file: Buffer, actor: Actor, ctx: RequestContext) {
  return refused("vendorService.reply", actor, ctx, async () => {
    if (file.length > MAX_REPLY_BYTES) throw new UserError("vendorService.tooLarge", { maxKb: MAX_REPLY_BYTES / 1024 });
    const [svc, req] = await Promise.all([
      prisma().vendorSigningService.findUnique({ where: { id: 1 } }),
      prisma().pushCertificateRequest.findUnique({ where: { id: 1 } }),
    ]);
    if (!svc?.encryptionKeySealed || !svc.encryptionCertPem || !req || svc.submittedCsrPem !== req.csrPem) throw new UserError("vendorService.nothingPending");
    const hex = file.toString("latin1").replace(/\s+/g, "");
    if (!hex || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) throw new UserError("vendorService.badFile");
    let content: Buffer;
    try {
      content = openEnvelopedData(Buffer.from(hex, "hex"), { certPem: svc.encryptionCertPem, keyPem: open(svc.encryptionKeySealed, ENCRYPTION_KEY).toString("utf8") }).content;
    } catch {
      throw new UserError("vendorService.cannotDecrypt");
    }
    const b64 = content.toString("utf8").replace(/\s+/g, "");
    const signed = parseVendorRequest(b64);
    if (normalise(signed.csrPem) !== normalise(req.csrPem)) throw new UserError("vendorService.otherRequest");
    checkVendorCertificate(signed.chainPems[0]!, signed.chainPems.slice(1));
    const signedAt = new Date();
    await prisma().vendorSigningService.update({ where: { id: 1 }, data: { signedRequest: b64, signedAt } });
    await audit({ actor, action: "vendorService.reply", target: { type: "vendorSigningService", label: svc.baseUrl }, ...ctx });
    return { signedAt };
  });
}

const normalise = (pem: string) => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
