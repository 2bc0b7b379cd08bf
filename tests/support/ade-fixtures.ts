import forge from "node-forge";

// Server tokens as Apple Business Manager makes them, encrypted to a given certificate.

export interface AdeCredentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
  /** ISO date, e.g. 2027-11-24T10:00:00Z */
  expiry: string;
}

export function tokenText(c: AdeCredentials, overrides: Record<string, unknown> = {}): string {
  const json = JSON.stringify({
    consumer_key: c.consumerKey,
    consumer_secret: c.consumerSecret,
    access_token: c.accessToken,
    access_secret: c.accessSecret,
    access_token_expiry: c.expiry,
    ...overrides,
  });
  return "Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + `-----BEGIN MESSAGE-----\n${json}\n-----END MESSAGE-----\n`;
}

/** What ABM hands out: MIME headers, a blank line, base64 EnvelopedData (`*_smime.p7m`). */
export function smime(der: Buffer): Buffer {
  const b64 = der.toString("base64").match(/.{1,76}/g)!.join("\r\n");
  return Buffer.from(
    "Content-Type: application/pkcs7-mime; name=smime.p7m; smime-type=enveloped-data\r\n" +
      "Content-Transfer-Encoding: base64\r\n" +
      'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n' +
      b64 +
      "\r\n",
  );
}

export function forgeToken(content: string, certPem: string): Buffer {
  const p7 = forge.pkcs7.createEnvelopedData();
  p7.addRecipient(forge.pki.certificateFromPem(certPem));
  p7.content = forge.util.createBuffer(forge.util.encodeUtf8(content));
  p7.encrypt(undefined, forge.pki.oids["aes256-CBC"]);
  return smime(Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary"));
}
