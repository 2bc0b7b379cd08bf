import { createServer, type Server } from "node:http";
import { createPrivateKey, sign } from "node:crypto";
import forge from "node-forge";
import * as plist from "plist";
import type { Issued } from "./test-ca";

// A local stand-in for mdmcert.download, checking requests as strictly as micromdm's client
// shows the protocol: POST /api/v1/signrequest, JSON {csr, email, key, encrypt}, csr and encrypt
// base64 of PEM. It answers {"result":"success"} and "mails" the signed request: base64 plist
// (Apple's PushCertRequestCSR / PushCertCertificateChain / PushCertSignature), enveloped with
// node-forge to the submitted certificate, DER as hex, as the service's .plist.b64.p7 attachment.

export interface MailedReply {
  to: string;
  filename: string;
  body: string;
}

export interface FakeMdmcert {
  url: string;
  mails: MailedReply[];
  requests: number;
  close(): Promise<void>;
}

export async function startFakeMdmcert(opts: { apiKey: string; vendor: Issued; chain: string[] }): Promise<FakeMdmcert> {
  const state = { mails: [] as MailedReply[], requests: 0 };
  const reply = (res: import("node:http").ServerResponse, status: number, body: object) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.requests++;
      if (req.method !== "POST" || req.url !== "/api/v1/signrequest") return reply(res, 404, { result: "failure", reason: "not found" });
      if (!/^application\/json/.test(req.headers["content-type"] ?? "")) return reply(res, 400, { result: "failure", reason: "expected JSON" });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(res, 400, { result: "failure", reason: "bad JSON" });
      }
      const { csr, email, key, encrypt } = body;
      if (typeof csr !== "string" || typeof email !== "string" || typeof key !== "string" || typeof encrypt !== "string") return reply(res, 400, { result: "failure", reason: "missing field" });
      if (key !== opts.apiKey) return reply(res, 200, { result: "failure", reason: "invalid API key" });
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) return reply(res, 200, { result: "failure", reason: "invalid email" });
      let csrObj: forge.pki.CertificateSigningRequest;
      let encCert: forge.pki.Certificate;
      try {
        const csrPem = Buffer.from(csr, "base64").toString("utf8");
        if (!csrPem.includes("-----BEGIN CERTIFICATE REQUEST-----")) throw new Error("not PEM");
        csrObj = forge.pki.certificationRequestFromPem(csrPem);
        if (!csrObj.verify()) throw new Error("bad CSR signature");
        encCert = forge.pki.certificateFromPem(Buffer.from(encrypt, "base64").toString("utf8"));
      } catch {
        return reply(res, 200, { result: "failure", reason: "invalid CSR or certificate" });
      }
      const csrDer = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csrObj)).getBytes(), "binary");
      const signature = sign("sha256", csrDer, createPrivateKey(opts.vendor.keyPem));
      const request = Buffer.from(plist.build({
        PushCertRequestCSR: csrDer.toString("base64"),
        PushCertCertificateChain: [opts.vendor.certPem, ...opts.chain].join(""),
        PushCertSignature: signature.toString("base64"),
      })).toString("base64");
      const p7 = forge.pkcs7.createEnvelopedData();
      p7.addRecipient(encCert);
      p7.content = forge.util.createBuffer(request);
      p7.encrypt();
      const hex = forge.util.bytesToHex(forge.asn1.toDer(p7.toAsn1()).getBytes());
      state.mails.push({ to: email, filename: `mdm_signed_request.${Date.now()}.plist.b64.p7`, body: hex });
      reply(res, 200, { result: "success" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as import("node:net").AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get mails() { return state.mails; },
    get requests() { return state.requests; },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
