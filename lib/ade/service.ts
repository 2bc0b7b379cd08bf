import { prisma } from "@/lib/db/client";
import { audit, type Actor } from "@/lib/audit";
import { openString, seal } from "@/lib/crypto";
import { UserError, isUserError } from "@/lib/errors";
import { decryptAdeToken, generateAdeKeyPair } from "@/lib/pki/ade-token";
import { DepError, fetchDepAccount, type DepCredentials, type DepFailure } from "./dep-client";

// The ADE server token lifecycle (PROTOCOL.md 8b): one key pair for Mamori, the token
// Apple Business Manager encrypts to it, and its OAuth credentials sealed at rest.
// Every step is audited, refusals included; a refusal changes nothing.

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

export const MAX_TOKEN_BYTES = 64 * 1024;
const KEY_CONTEXT = "ade-key";
const CREDENTIALS_CONTEXT = "ade-credentials";
const ROW = 1;

const target = (label?: string | null) => ({ type: "adeToken", id: String(ROW), label });

export interface AdeState {
  hasKey: boolean;
  publicKeyCreatedAt: Date | null;
  token: null | {
    orgName: string | null;
    consumerKey: string;
    accessTokenExpiry: Date;
    uploadedAt: Date;
    uploadedByLabel: string | null;
  };
}

/** What the ADE page shows; never any secret. */
export async function getAdeState(): Promise<AdeState> {
  const row = await prisma().adeToken.findUnique({
    where: { id: ROW },
    select: { keyCreatedAt: true, credentialsSealed: true, consumerKey: true, orgName: true, accessTokenExpiry: true, uploadedAt: true, uploadedByLabel: true },
  });
  if (!row) return { hasKey: false, publicKeyCreatedAt: null, token: null };
  const hasToken = row.credentialsSealed !== null && row.consumerKey !== null && row.accessTokenExpiry !== null && row.uploadedAt !== null;
  return {
    hasKey: true,
    publicKeyCreatedAt: row.keyCreatedAt,
    token: hasToken
      ? { orgName: row.orgName, consumerKey: row.consumerKey!, accessTokenExpiry: row.accessTokenExpiry!, uploadedAt: row.uploadedAt!, uploadedByLabel: row.uploadedByLabel }
      : null,
  };
}

/**
 * Makes Mamori's ADE key pair once. Racing callers (other requests, other instances) each may
 * generate a key, but INSERT ... ON CONFLICT DO NOTHING keeps exactly the first one.
 */
export async function ensureAdeKey(actor: Actor, ctx: RequestContext): Promise<{ created: boolean; createdAt: Date }> {
  const existing = await prisma().adeToken.findUnique({ where: { id: ROW }, select: { keyCreatedAt: true } });
  if (existing) return { created: false, createdAt: existing.keyCreatedAt };
  const { keyPem, certPem } = generateAdeKeyPair();
  const created = await prisma().$transaction(async (tx) => {
    const { count } = await tx.adeToken.createMany({
      data: [{ id: ROW, keySealed: seal(keyPem, KEY_CONTEXT), certPem, keyCreatedAt: new Date() }],
      skipDuplicates: true,
    });
    if (count === 1) await audit({ actor, action: "adeToken.keyCreate", target: target("public key"), ...ctx }, tx);
    return count === 1;
  });
  const row = await prisma().adeToken.findUniqueOrThrow({ where: { id: ROW }, select: { keyCreatedAt: true } });
  return { created, createdAt: row.keyCreatedAt };
}

/** The certificate (PEM, public key only) to upload to Apple Business Manager; null before ensureAdeKey. */
export async function adePublicKeyPem(): Promise<string | null> {
  return (await prisma().adeToken.findUnique({ where: { id: ROW }, select: { certPem: true } }))?.certPem ?? null;
}

/** Shown next to a successful upload; `reasonCode` fills the `{reason}` of `code`'s message. */
export interface AdeWarning {
  code: "adeToken.orgNameUnavailable";
  reasonCode: `adeToken.depReason.${DepFailure}`;
  params: Record<string, string | number>;
  /** Technical detail (English), for logs and the audit trail. */
  detail: string;
}

export interface UploadResult {
  orgName: string | null;
  serverName: string | null;
  consumerKey: string;
  accessTokenExpiry: Date;
  warning: AdeWarning | null;
}

/**
 * Decrypts an ABM server token with Mamori's key, refuses expired ones, reads the organisation
 * name from Apple, then stores it all in one write. Apple being unreachable or refusing is
 * not a reason to refuse the token: it is kept, without the name, and a warning returned.
 */
export async function uploadAdeToken(file: Buffer, actor: Actor, ctx: RequestContext, now = new Date()): Promise<UploadResult> {
  try {
    if (file.length > MAX_TOKEN_BYTES) throw new UserError("adeToken.tooLarge", { maxKb: MAX_TOKEN_BYTES / 1024 });
    const row = await prisma().adeToken.findUnique({ where: { id: ROW }, select: { keySealed: true, certPem: true, consumerKey: true } });
    if (!row) throw new UserError("adeToken.noKey");
    const token = decryptAdeToken(file, openString(row.keySealed, KEY_CONTEXT), row.certPem);
    if (token.accessTokenExpiry.getTime() <= now.getTime()) throw new UserError("adeToken.expired", { date: token.accessTokenExpiry.toISOString() });

    const creds: DepCredentials = token;
    let orgName: string | null = null;
    let serverName: string | null = null;
    let warning: AdeWarning | null = null;
    try {
      const account = await fetchDepAccount(creds);
      ({ orgName, serverName } = account);
    } catch (e) {
      if (!(e instanceof DepError)) throw e;
      warning = { code: "adeToken.orgNameUnavailable", reasonCode: `adeToken.depReason.${e.reason}`, params: e.status ? { status: e.status } : {}, detail: e.detail };
    }

    const sealed = seal(
      JSON.stringify({
        consumer_key: token.consumerKey,
        consumer_secret: token.consumerSecret,
        access_token: token.accessToken,
        access_secret: token.accessSecret,
        access_token_expiry: token.accessTokenExpiry.toISOString(),
      }),
      CREDENTIALS_CONTEXT,
    );
    await prisma().$transaction(async (tx) => {
      await tx.adeToken.update({
        where: { id: ROW },
        data: { credentialsSealed: sealed, consumerKey: token.consumerKey, orgName, accessTokenExpiry: token.accessTokenExpiry, uploadedAt: now, uploadedByLabel: actor.label },
      });
      await audit(
        {
          actor,
          action: "adeToken.upload",
          target: target(orgName ?? token.consumerKey),
          details: {
            consumerKey: token.consumerKey,
            orgName,
            serverName,
            accessTokenExpiry: token.accessTokenExpiry.toISOString(),
            replaced: row.consumerKey,
            ...(warning ? { warning: warning.reasonCode, detail: warning.detail } : {}),
          },
          ...ctx,
        },
        tx,
      );
    });
    return { orgName, serverName, consumerKey: token.consumerKey, accessTokenExpiry: token.accessTokenExpiry, warning };
  } catch (e) {
    if (isUserError(e)) {
      await audit({ actor, action: "adeToken.upload", result: "FAILURE", target: target(), details: { code: e.code, ...e.params }, ...ctx });
    }
    throw e;
  }
}

/** Forgets the token (the key stays, so ABM can issue a new one for it). False if there was none. */
export async function deleteAdeToken(actor: Actor, ctx: RequestContext): Promise<boolean> {
  return prisma().$transaction(async (tx) => {
    const row = await tx.adeToken.findUnique({ where: { id: ROW }, select: { consumerKey: true, orgName: true } });
    const { count } = await tx.adeToken.updateMany({
      where: { id: ROW, credentialsSealed: { not: null } },
      data: { credentialsSealed: null, consumerKey: null, orgName: null, accessTokenExpiry: null, uploadedAt: null, uploadedByLabel: null },
    });
    if (count === 0) return false;
    await audit({ actor, action: "adeToken.delete", target: target(row?.orgName ?? row?.consumerKey), details: { consumerKey: row?.consumerKey ?? null }, ...ctx }, tx);
    return true;
  });
}

/** The stored OAuth credentials, for DEP calls (device sync, profiles); null without a token. */
export async function adeCredentials(): Promise<(DepCredentials & { accessTokenExpiry: Date }) | null> {
  const row = await prisma().adeToken.findUnique({ where: { id: ROW }, select: { credentialsSealed: true } });
  if (!row?.credentialsSealed) return null;
  const j = JSON.parse(openString(row.credentialsSealed, CREDENTIALS_CONTEXT)) as Record<string, string>;
  return {
    consumerKey: j.consumer_key!,
    consumerSecret: j.consumer_secret!,
    accessToken: j.access_token!,
    accessSecret: j.access_secret!,
    accessTokenExpiry: new Date(j.access_token_expiry!),
  };
}
