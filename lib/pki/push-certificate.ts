import { UserError } from "@/lib/errors";
import { type X509Info, certificatesFromInput, describeDer, privateKeySpkiSha256 } from "@/lib/pki/x509";

/** APNs topics of MDM push certificates start with this (PROTOCOL.md section 7). */
export const MDM_TOPIC_PREFIX = "com.apple.mgmt.";

export interface KnownPushCert {
  topic: string;
  serial: string;
  notAfter: Date;
}

export interface PushCertContext {
  /** Key of the request the admin sent to Apple; null when there is none. */
  pendingKeyPem: string | null;
  active: KnownPushCert | null;
  /** Every certificate uploaded before, to refuse the same file twice. */
  existing: KnownPushCert[];
  now: Date;
}

export interface ValidatedPushCert {
  info: X509Info;
  topic: string;
  /** True when it replaces the active certificate (same topic, so devices keep working). */
  isRenewal: boolean;
}

/** Check a certificate downloaded from identity.apple.com before it replaces anything. */
export function validatePushCertificate(input: Buffer, ctx: PushCertContext): ValidatedPushCert {
  const info = pickCertificate(input);

  const topic = info.uid;
  if (!topic || !topic.startsWith(MDM_TOPIC_PREFIX)) throw new UserError("pushCert.notPushCertificate");

  // Before the request checks: re-uploading the active file is "already uploaded", not "no request".
  const same = (c: KnownPushCert) =>
    c.topic === topic && sameSerial(c.serial, info.serial) && sameSecond(c.notAfter, info.notAfter);
  if (ctx.existing.some(same) || (ctx.active && same(ctx.active))) throw new UserError("pushCert.duplicate");

  if (!ctx.pendingKeyPem) throw new UserError("pushCert.noPendingRequest");
  if (info.publicKeySpkiSha256 !== privateKeySpkiSha256(ctx.pendingKeyPem)) {
    throw new UserError("pushCert.keyMismatch");
  }

  if (info.notAfter.getTime() <= ctx.now.getTime()) {
    throw new UserError("pushCert.expired", { date: info.notAfter.toISOString() });
  }

  if (ctx.active) {
    // A new topic orphans every enrolled device: they would all have to enroll again.
    if (ctx.active.topic !== topic) {
      throw new UserError("pushCert.topicChanged", { activeTopic: ctx.active.topic, newTopic: topic });
    }
    if (info.notAfter.getTime() <= ctx.active.notAfter.getTime()) {
      throw new UserError("pushCert.notLater", {
        date: info.notAfter.toISOString(),
        activeDate: ctx.active.notAfter.toISOString(),
      });
    }
  }

  return { info, topic, isRenewal: ctx.active !== null };
}

/** The push certificate out of a PEM (possibly with a key or chain around it) or a DER .cer. */
function pickCertificate(input: Buffer): X509Info {
  const infos = certificatesFromInput(input).flatMap((der) => {
    try {
      return [describeDer(der)];
    } catch {
      return [];
    }
  });
  const first = infos[0];
  if (!first) throw new UserError("pushCert.notCertificate");
  return infos.find((i) => i.uid?.startsWith(MDM_TOPIC_PREFIX)) ?? first;
}

function sameSerial(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/[^0-9a-f]/gi, "").replace(/^0+/, "").toUpperCase();
  return norm(a) === norm(b);
}

/** Certificates carry whole seconds; a stored Date may have gained milliseconds on the way. */
function sameSecond(a: Date, b: Date): boolean {
  return Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
}
